<?php

namespace App\Policies;

use App\Models\User;
use Illuminate\Auth\Access\HandlesAuthorization;
use Illuminate\Database\Eloquent\Model;

/**
 * Documents and exports: their requester, or finance and admins.
 */
class GeneratedFilePolicy
{
    use HandlesAuthorization;

    /**
     * @param  \App\Models\Document|\App\Models\Export  $file
     */
    public function view(User $user, Model $file): bool
    {
        return $file->user_id === $user->id || $user->hasPermission('sppd.view-all');
    }
}
