<?php

return [

    'defaults' => [
        'guard' => 'web',
    ],

    'guards' => [
        'web' => [
            'driver' => 'session',
            'provider' => 'users',
        ],
    ],

    /*
     * The signed-in user is read through the cache (1 h, tag user:<id>), not
     * from the database on every request: see App\Auth\CachedUserProvider.
     */
    'providers' => [
        'users' => [
            'driver' => 'cached-eloquent',
            'model' => App\Models\User::class,
        ],
    ],

];
