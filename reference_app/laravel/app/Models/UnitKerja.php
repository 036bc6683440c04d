<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * A faculty, study programme or bureau.
 */
class UnitKerja extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'unit_kerja';

    public function parent(): BelongsTo
    {
        return $this->belongsTo(self::class, 'parent_id');
    }
}
