<?php

namespace App\Jobs;

use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;

/**
 * What every eSPPD job shares: three tries, backoff, a timeout, and the
 * configurable extra time a slow dependency adds to each one.
 */
abstract class EsppdJob implements ShouldQueue
{
    use Dispatchable;
    use InteractsWithQueue;
    use Queueable;
    use SerializesModels;

    /**
     * @var int
     */
    public $tries = 3;

    /**
     * Seconds before each retry.
     *
     * @var int
     */
    public $backoff = 5;

    /**
     * @var int
     */
    public $timeout = 120;

    public function handle(): void
    {
        $delay = (int) config('esppd.queue_job_delay_ms');
        if ($delay > 0) {
            usleep($delay * 1000);
        }
        $this->run();
    }

    abstract protected function run(): void;
}
