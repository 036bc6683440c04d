<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Builder;
use Illuminate\Database\Eloquent\Collection;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Support\Facades\Cache;

/**
 * One level of the approval chain: the role that decides there, and over which units
 * (its own unit, its faculty, or all). Level 1 decides first; the last level approves.
 *
 * @property int $level
 * @property string $role
 * @property string $scope
 */
class ApprovalLevel extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $primaryKey = 'level';

    /**
     * @var array<string, string>
     */
    protected $casts = [
        'level' => 'integer',
    ];

    /**
     * The chain, read once per request (PHP forgets statics between requests).
     */
    private static ?Collection $chain = null;

    /**
     * The whole chain, lowest level first, through the cache (6 h, tag `permissions`).
     */
    public static function chain(): Collection
    {
        return self::$chain ??= Cache::tags(['permissions'])->remember(
            'approval_levels',
            config('esppd.ttl.permissions'),
            fn () => static::orderBy('level')->get()
        );
    }

    public static function ofRole(string $role): ?self
    {
        return self::chain()->firstWhere('role', $role);
    }

    public static function lowest(): self
    {
        return self::chain()->first();
    }

    public function next(): ?self
    {
        return self::chain()->firstWhere('level', $this->level + 1);
    }

    /**
     * Limit an SPPD query to the units this level decides for, as `$approver` sees them.
     */
    public function limitToUnits(Builder $query, User $approver): Builder
    {
        return match ($this->scope) {
            'unit' => $query->where('unit_kerja_id', $approver->unit_kerja_id),
            'faculty' => $query->whereIn('unit_kerja_id', UnitKerja::inFaculty($approver->unit_kerja_id)->select('id')),
            default => $query,
        };
    }

    /**
     * Whether `$approver` decides at this level for the SPPD's unit.
     */
    public function covers(User $approver, Sppd $sppd): bool
    {
        return match ($this->scope) {
            'unit' => $sppd->unit_kerja_id === $approver->unit_kerja_id,
            'faculty' => $sppd->unitKerja->facultyId() === $approver->unit_kerja_id,
            default => true,
        };
    }

    /**
     * Who is told that an SPPD now waits for this level: the first of its role over the SPPD's unit.
     */
    public function approverFor(Sppd $sppd): ?User
    {
        $approvers = User::where('role', $this->role);

        $approvers = match ($this->scope) {
            'unit' => $approvers->where('unit_kerja_id', $sppd->unit_kerja_id),
            'faculty' => $approvers->where('unit_kerja_id', $sppd->unitKerja->facultyId()),
            default => $approvers,
        };

        return $approvers->orderBy('id')->first();
    }
}
