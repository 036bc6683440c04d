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
     * The traveller, an approver whose level covers the SPPD's unit (a unit head without
     * a level: their own unit), or finance and admins (sppd.view-all).
     */
    public function view(User $user, Sppd $sppd): bool
    {
        if ($user->hasPermission('sppd.view-all') || $sppd->user_id === $user->id) {
            return true;
        }
        if (! $user->hasPermission('sppd.approve')) {
            return false;
        }
        $level = $user->approvalLevel();

        return $level === null ? $sppd->unit_kerja_id === $user->unit_kerja_id : $level->covers($user, $sppd);
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
     * An approver decides at their level for the units it covers, never on their own trip.
     * Whether the SPPD has reached that level yet is the controller's 422.
     */
    public function approve(User $user, Sppd $sppd): Response
    {
        $level = $user->approvalLevel();

        return $level !== null && $level->covers($user, $sppd) && $sppd->user_id !== $user->id
            ? Response::allow()
            : Response::deny('You may only decide on the SPPD your approval level covers, never your own.');
    }
}
