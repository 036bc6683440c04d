<?php

namespace App\Providers;

use App\Mail\Transport\OutboxTransport;
use Illuminate\Support\Facades\Mail;
use Illuminate\Support\ServiceProvider;

class AppServiceProvider extends ServiceProvider
{
    /**
     * Bootstrap any application services.
     *
     * @return void
     */
    public function boot()
    {
        // Workers and migrations show up in pg_stat_activity apart from web requests.
        if ($this->app->runningInConsole()) {
            config(['database.connections.pgsql.application_name' => 'esppd-worker']);
        }

        Mail::extend('outbox', function (array $config) {
            return new OutboxTransport($config['path']);
        });
    }
}
