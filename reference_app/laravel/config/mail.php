<?php

return [

    /*
     * The embedded stack delivers to a local outbox (one .eml file per
     * message, see App\Mail\Transport\OutboxTransport); production uses SMTP.
     */
    'default' => env('MAIL_MAILER', 'outbox'),

    'mailers' => [

        'smtp' => [
            'transport' => 'smtp',
            'host' => env('MAIL_HOST', '127.0.0.1'),
            'port' => env('MAIL_PORT', 25),
            'encryption' => env('MAIL_ENCRYPTION'),
            'username' => env('MAIL_USERNAME'),
            'password' => env('MAIL_PASSWORD'),
            'timeout' => 10,
        ],

        'outbox' => [
            'transport' => 'outbox',
            'path' => storage_path('app/outbox'),
        ],

    ],

    'from' => [
        'address' => env('MAIL_FROM_ADDRESS', 'esppd@esppd.test'),
        'name' => env('MAIL_FROM_NAME', 'eSPPD'),
    ],

];
