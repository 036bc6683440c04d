<?php

return [

    /*
     * Redis in production. The `array` store lives for one request only, which
     * is what a cache that does not work looks like (the cache knob).
     */
    'default' => env('CACHE_DRIVER', 'redis'),

    'stores' => [

        'array' => [
            'driver' => 'array',
            'serialize' => false,
        ],

        'redis' => [
            'driver' => 'redis',
            'connection' => 'cache',
            'lock_connection' => 'default',
        ],

    ],

    /*
     * Login throttling counts failures in Redis even when the cache is off:
     * a broken cache must not switch off brute-force protection.
     */
    'limiter' => 'redis',

    'prefix' => env('CACHE_PREFIX', 'esppd_cache'),

];
