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
        $checks = [
            'database' => fn () => DB::select('SELECT 1'),
            'redis' => fn () => Redis::connection('cache')->ping(),
            'queue_redis' => fn () => Redis::connection('queue')->ping(),
        ];
        $results = [];
        foreach ($checks as $name => $check) {
            try {
                $check();
                $results[$name] = 'ok';
            } catch (Throwable $error) {
                $results[$name] = 'error: ' . class_basename($error);
            }
        }
        $healthy = count(array_filter($results, fn ($result) => $result !== 'ok')) === 0;

        return new JsonResponse(['status' => $healthy ? 'ok' : 'error'] + $results, $healthy ? 200 : 503);
    }
}
