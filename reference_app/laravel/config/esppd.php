<?php

/*
|--------------------------------------------------------------------------
| eSPPD Settings
|--------------------------------------------------------------------------
|
| Each flag is one best practice; the embedded stack's knobs turn one off at
| a time so the load lab can show what its absence costs.
|
*/

return [

    // Lists load their relations with ->with() (one query per relation), not row by row.
    'eager_loading' => (bool) env('ESPPD_EAGER_LOADING', true),

    // Take the SPPD number with one atomic upsert, not a row held FOR UPDATE while the letter is signed.
    'hot_row_lock' => (bool) env('ESPPD_HOT_ROW_LOCK', false),

    // How long the numbering service takes to sign a letter while the row is held.
    'hot_row_hold_seconds' => 0.25,

    // Extra time every queued job takes (a slow dependency of the workers).
    'queue_job_delay_ms' => (int) env('ESPPD_QUEUE_JOB_DELAY_MS', 0),

    // Read by the index migration: false leaves the filter and foreign-key indexes out.
    'indexes' => (bool) env('ESPPD_INDEXES', true),

    // The file each HTTP request and queued job appends its statement count to (tests only).
    'statement_log' => env('ESPPD_STATEMENT_LOG') ?: null,

    'page_size' => 15,

    'max_trip_days' => 30,

    'login_attempts_per_minute' => 5,

    // Cache lifetimes in seconds, as in the eSPPD plan.
    'ttl' => [
        'master' => 24 * 3600,
        'dashboard' => 15 * 60,
        'permissions' => 6 * 3600,
        'profile' => 3600,
    ],

];
