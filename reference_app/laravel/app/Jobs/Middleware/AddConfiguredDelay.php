<?php

namespace App\Jobs\Middleware;

use Closure;

/**
 * Adds `esppd.queue_job_delay_ms` to every job: a slow dependency of the workers
 * (the queue_job_delay_ms knob), without touching what the jobs do.
 */
class AddConfiguredDelay
{
    /**
     * @param  mixed  $job
     */
    public function handle($job, Closure $next): void
    {
        $delay = (int) config('esppd.queue_job_delay_ms');
        if ($delay > 0) {
            usleep($delay * 1000);
        }

        $next($job);
    }
}
