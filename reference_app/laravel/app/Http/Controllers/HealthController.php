<?php

namespace App\Http\Controllers;

use Illuminate\Http\JsonResponse;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Redis;
use Throwable;

/**
 * Database and both Redis servers reachable: for load balancers and pre-flight checks.
 */
class HealthController extends Controller
{
    public function __invoke(): JsonResponse
    {
        $results = [
            'database' => $this->check(fn () => DB::select('SELECT 1')),
            'redis' => $this->check(fn () => Redis::connection('cache')->ping()),
            'queue_redis' => $this->check(fn () => Redis::connection('queue')->ping()),
        ];
        $healthy = array_diff($results, ['ok']) === [];

        return new JsonResponse(['status' => $healthy ? 'ok' : 'error'] + $results, $healthy ? 200 : 503);
    }

    /**
     * 'ok', or the kind of error (never its message: it may carry addresses or credentials).
     */
    private function check(callable $probe): string
    {
        try {
            $probe();

            return 'ok';
        } catch (Throwable $error) {
            return 'error: ' . class_basename($error);
        }
    }
}
