<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Builder;
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

    /**
     * The faculty (or bureau) a unit belongs to: its parent, or itself at the top.
     */
    public function facultyId(): int
    {
        return $this->parent_id ?? $this->id;
    }

    /**
     * The units of one faculty: the faculty itself and the units under it.
     */
    public function scopeInFaculty(Builder $query, int $facultyId): Builder
    {
        return $query->where(fn (Builder $units) => $units->where('parent_id', $facultyId)
            ->orWhere(fn (Builder $top) => $top->whereNull('parent_id')->whereKey($facultyId)));
    }
}
