<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * An in-app notification (the `notifications` table of the eSPPD schema).
 */
class UserNotification extends Model
{
    public const UPDATED_AT = null;

    protected $table = 'notifications';

    /**
     * @var array<int, string>
     */
    protected $fillable = ['user_id', 'type', 'data'];

    /**
     * @var array<string, string>
     */
    protected $casts = [
        'data' => 'array',
        'read_at' => 'datetime',
    ];
}
