<?php

namespace App\Auth;

use Illuminate\Auth\EloquentUserProvider;
use Illuminate\Support\Facades\Cache;

/**
 * The signed-in user (with their unit) comes from the cache for an hour.
 *
 * Every request resolves the session's user; without this each page would
 * start with the same users + unit_kerja lookup. The app never edits users;
 * whatever would must flush the `user:<id>` tag.
 */
class CachedUserProvider extends EloquentUserProvider
{
    /**
     * Retrieve a user by their unique identifier.
     *
     * @param  mixed  $identifier
     * @return \Illuminate\Contracts\Auth\Authenticatable|null
     */
    public function retrieveById($identifier)
    {
        return Cache::tags(["user:{$identifier}"])->remember(
            "profile:{$identifier}",
            config('esppd.ttl.profile'),
            function () use ($identifier) {
                return $this->newModelQuery()->with('unitKerja')->find($identifier);
            }
        );
    }
}
