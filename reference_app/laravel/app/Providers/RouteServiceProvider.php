<?php

namespace App\Providers;

use Illuminate\Foundation\Support\Providers\RouteServiceProvider as ServiceProvider;
use Illuminate\Support\Facades\Route;

class RouteServiceProvider extends ServiceProvider
{
    /**
     * Where users land after signing in.
     *
     * @var string
     */
    public const HOME = '/dashboard';

    /**
     * Define the route model bindings, pattern filters and route groups.
     *
     * @return void
     */
    public function boot()
    {
        Route::pattern('sppd', '[0-9]+');
        Route::pattern('document', '[0-9]+');
        Route::pattern('export', '[0-9]+');

        $this->routes(function () {
            Route::group([], base_path('routes/probes.php'));
            Route::middleware('web')->group(base_path('routes/web.php'));
        });
    }
}
