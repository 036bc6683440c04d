<?php

namespace App\Jobs;

use App\Jobs\Middleware\AddConfiguredDelay;
use Illuminate\Bus\Queueable;
use Illuminate\Contracts\Queue\ShouldQueue;
use Illuminate\Foundation\Bus\Dispatchable;
use Illuminate\Queue\InteractsWithQueue;
use Illuminate\Queue\SerializesModels;

/**
 * What every eSPPD job shares: three tries with backoff, a timeout, the delay middleware.
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
     * Seconds before the worker kills a stuck job; below the queue's retry_after (90),
     * or a second worker would take the job while the first still runs it.
     *
     * @var int
     */
    public $timeout = 60;

    /**
     * @return array<int, object>
     */
    public function middleware(): array
    {
        return [new AddConfiguredDelay()];
    }
}
