<?php

namespace App\Policies;

use App\Models\Sppd;
use App\Models\User;
use Illuminate\Auth\Access\HandlesAuthorization;
use Illuminate\Auth\Access\Response;

class SppdPolicy
{
    use HandlesAuthorization;

    /**
     * The traveller, the unit's head, or finance and admins (sppd.view-all).
     */
    public function view(User $user, Sppd $sppd): bool
    {
        if ($user->hasPermission('sppd.view-all') || $sppd->user_id === $user->id) {
            return true;
        }

        return $user->hasPermission('sppd.approve') && $sppd->unit_kerja_id === $user->unit_kerja_id;
    }

    /**
     * Only travellers submit, and file the report of, their own trips.
     */
    public function submit(User $user, Sppd $sppd): Response
    {
        return $sppd->user_id === $user->id
            ? Response::allow()
            : Response::deny('Only the traveller submits their own SPPD.');
    }

    public function fileReport(User $user, Sppd $sppd): Response
    {
        return $sppd->user_id === $user->id
            ? Response::allow()
            : Response::deny('Only the traveller files the trip report.');
    }

    /**
     * The head of the SPPD's unit decides, never on their own trip.
     */
    public function approve(User $user, Sppd $sppd): Response
    {
        return $user->hasPermission('sppd.approve')
            && $sppd->unit_kerja_id === $user->unit_kerja_id
            && $sppd->user_id !== $user->id
            ? Response::allow()
            : Response::deny("You may only decide on your own unit's SPPD, never your own.");
    }
}
