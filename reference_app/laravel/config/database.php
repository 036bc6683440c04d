<?php

return [

    'default' => env('DB_CONNECTION', 'pgsql'),

    'connections' => [

        'pgsql' => [
            'driver' => 'pgsql',
            'url' => env('DATABASE_URL'),
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '5432'),
            'database' => env('DB_DATABASE', 'esppd'),
            'username' => env('DB_USERNAME', 'esppd'),
            'password' => env('DB_PASSWORD', ''),
            'charset' => 'utf8',
            'prefix' => '',
            'prefix_indexes' => true,
            'schema' => 'public',
            'sslmode' => 'prefer',
            'application_name' => 'esppd-app',
            'options' => [
                // One connection per PHP-FPM child, kept across requests: a new
                // PostgreSQL connection costs a backend fork and a SCRAM exchange
                // (about 10 ms of CPU here), more than most eSPPD pages. Size
                // max_connections above pm.max_children + queue workers.
                PDO::ATTR_PERSISTENT => (bool) env('DB_PERSISTENT', true),
            ],
        ],

        'mysql' => [
            'driver' => 'mysql',
            'url' => env('DATABASE_URL'),
            'host' => env('DB_HOST', '127.0.0.1'),
            'port' => env('DB_PORT', '3306'),
            'database' => env('DB_DATABASE', 'esppd'),
            'username' => env('DB_USERNAME', 'esppd'),
            'password' => env('DB_PASSWORD', ''),
            'unix_socket' => env('DB_SOCKET', ''),
            'charset' => 'utf8mb4',
            'collation' => 'utf8mb4_unicode_ci',
            'prefix' => '',
            'prefix_indexes' => true,
            'strict' => true,
            'engine' => 'InnoDB',
            'options' => [
                // As for PostgreSQL: one connection per PHP-FPM child.
                PDO::ATTR_PERSISTENT => (bool) env('DB_PERSISTENT', true),
            ],
        ],

    ],

    'migrations' => 'migrations',

    /*
     * Two Redis servers, as in production: cache and sessions on one, the queue
     * on its own, so queue polling never muddies the cache's hit ratio. The
     * queue keys keep Laravel's layout (esppd_database_queues:<name>).
     * Persistent connections: each PHP-FPM child keeps its sockets instead of a
     * connect and AUTH per request (one persistent_id per connection, so the
     * cache and session clients never share a socket).
     */
    'redis' => [

        'client' => env('REDIS_CLIENT', 'phpredis'),

        'options' => [
            'cluster' => 'redis',
            'prefix' => '',
        ],

        'default' => [
            'persistent' => (bool) env('REDIS_PERSISTENT', true),
            'persistent_id' => 'default',
            'url' => env('REDIS_URL'),
            'host' => env('REDIS_HOST', '127.0.0.1'),
            'password' => env('REDIS_PASSWORD'),
            'port' => env('REDIS_PORT', '6379'),
            'database' => '0',
        ],

        'cache' => [
            'persistent' => (bool) env('REDIS_PERSISTENT', true),
            'persistent_id' => 'cache',
            'url' => env('REDIS_URL'),
            'host' => env('REDIS_HOST', '127.0.0.1'),
            'password' => env('REDIS_PASSWORD'),
            'port' => env('REDIS_PORT', '6379'),
            'database' => '0',
        ],

        'queue' => [
            'persistent' => (bool) env('REDIS_PERSISTENT', true),
            'persistent_id' => 'queue',
            'url' => env('QUEUE_REDIS_URL', env('REDIS_URL')),
            'host' => env('REDIS_HOST', '127.0.0.1'),
            'password' => env('REDIS_PASSWORD'),
            'port' => env('REDIS_PORT', '6379'),
            'database' => '0',
            'options' => [
                'prefix' => 'esppd_database_',
            ],
        ],

    ],

];
