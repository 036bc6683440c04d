<?php

namespace App\Providers;

use App\Database\PostgresConnector;
use App\Http\Middleware\TallyStatements;
use App\Mail\Transport\OutboxTransport;
use App\Services\StatementTally;
use Illuminate\Contracts\Http\Kernel;
use Illuminate\Queue\Events\JobProcessed;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Mail;
use Illuminate\Support\Facades\Queue;
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

        if ($path = config('esppd.statement_log')) {
            $this->tallyStatements(new StatementTally($path));
        }
    }

    /**
     * Count every statement, and record the count per HTTP request and per queued job.
     */
    private function tallyStatements(StatementTally $tally): void
    {
        $this->app->instance(StatementTally::class, $tally);
        DB::listen(fn () => $tally->count());
        Queue::before(fn () => $tally->reset());
        Queue::after(fn (JobProcessed $event) => $tally->record('JOB', $event->job->resolveName()));
        if (! $this->app->runningInConsole()) {
            $this->app->make(Kernel::class)->prependMiddleware(TallyStatements::class);
        }
    }
}
