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

    'prefix' => env('CACHE_PREFIX', 'esppd_cache'),

];
