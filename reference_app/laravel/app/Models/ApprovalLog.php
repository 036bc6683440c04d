<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * One step of an SPPD's history: submitted, approved or rejected, by whom, at which level.
 */
class ApprovalLog extends Model
{
    public const UPDATED_AT = null;

    /**
     * @var array<int, string>
     */
    protected $fillable = ['sppd_id', 'user_id', 'action', 'catatan', 'level'];

    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }
}
