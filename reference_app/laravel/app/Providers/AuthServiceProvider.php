<?php

namespace App\Providers;

use App\Auth\CachedUserProvider;
use App\Models\Document;
use App\Models\Export;
use App\Models\Sppd;
use App\Models\User;
use App\Policies\GeneratedFilePolicy;
use App\Policies\SppdPolicy;
use Illuminate\Foundation\Support\Providers\AuthServiceProvider as ServiceProvider;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\Gate;

class AuthServiceProvider extends ServiceProvider
{
    /**
     * The permissions a role may hold (role_permissions rows say which it does).
     *
     * @var array<int, string>
     */
    public const PERMISSIONS = [
        'dashboard.view',
        'master.view',
        'sppd.create',
        'sppd.approve',
        'sppd.view-all',
        'laporan.create',
        'laporan.view-all',
        'reports.view',
        'exports.create',
        'documents.create',
    ];

    /**
     * The model to policy mappings for the application.
     *
     * @var array<class-string, class-string>
     */
    protected $policies = [
        Sppd::class => SppdPolicy::class,
        Document::class => GeneratedFilePolicy::class,
        Export::class => GeneratedFilePolicy::class,
    ];

    /**
     * Register the policies, one gate per permission and the cached user provider.
     *
     * @return void
     */
    public function boot()
    {
        $this->registerPolicies();

        foreach (self::PERMISSIONS as $permission) {
            Gate::define($permission, function (User $user) use ($permission) {
                return $user->hasPermission($permission);
            });
        }

        Auth::provider('cached-eloquent', function ($app, array $config) {
            return new CachedUserProvider($app['hash'], $config['model']);
        });
    }
}
