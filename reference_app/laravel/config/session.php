<?php

return [

    /*
     * Redis in production; `file` writes and locks one file per session on
     * the app server's disk (the session knob).
     */
    'driver' => env('SESSION_DRIVER', 'redis'),

    'lifetime' => 120,

    'expire_on_close' => false,

    'encrypt' => false,

    'files' => storage_path('framework/sessions'),

    'connection' => 'cache',

    'store' => null,

    'lottery' => [2, 100],

    'cookie' => 'esppd_session',

    'path' => '/',

    'domain' => null,

    'secure' => env('SESSION_SECURE_COOKIE', false),

    'http_only' => true,

    'same_site' => 'lax',

];
