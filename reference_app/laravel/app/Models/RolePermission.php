<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * One permission granted to one role.
 */
class RolePermission extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'role_permissions';
}
