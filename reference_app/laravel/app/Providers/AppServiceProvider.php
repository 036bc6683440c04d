<?php

namespace App\Providers;

use App\Database\PostgresConnector;
use App\Mail\Transport\OutboxTransport;
use Illuminate\Support\Facades\Mail;
use Illuminate\Support\ServiceProvider;

class AppServiceProvider extends ServiceProvider
{
    /**
     * Register any application services.
     *
     * @return void
     */
    public function register()
    {
        // Workers and migrations show up in pg_stat_activity apart from web requests.
        // Decided when connecting, not by changing the config: `config:cache` runs in
        // the console too and would freeze the workers' name into the web app's config.
        $this->app->bind('db.connector.pgsql', function ($app) {
            return new PostgresConnector($app->runningInConsole() ? 'esppd-worker' : null);
        });
    }

    /**
     * Bootstrap any application services.
     *
     * @return void
     */
    public function boot()
    {
        Mail::extend('outbox', function (array $config) {
            return new OutboxTransport($config['path']);
        });
    }
}
