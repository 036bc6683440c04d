<?php

use App\Http\Controllers\HealthController;
use Illuminate\Support\Facades\Route;

/*
|--------------------------------------------------------------------------
| Probe Routes
|--------------------------------------------------------------------------
|
| Outside the `web` group: no session, no cookies, nothing a probe could
| leave behind.
|
*/

Route::get('/health', HealthController::class)->name('health');
