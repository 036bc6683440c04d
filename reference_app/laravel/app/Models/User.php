<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\HasMany;
use Illuminate\Foundation\Auth\User as Authenticatable;
use Illuminate\Support\Facades\Cache;

/**
 * A lecturer (dosen), unit head (atasan), dean (dekan), commitment officer (ppk),
 * finance officer (keuangan) or admin.
 *
 * @property int $id
 * @property string $nip
 * @property string $name
 * @property string $email
 * @property string $role
 * @property int $unit_kerja_id
 * @property string $jabatan
 * @property string $golongan
 * @property-read \App\Models\UnitKerja $unitKerja
 */
class User extends Authenticatable
{
    public const UPDATED_AT = null;

    public $incrementing = false;

    /**
     * The seeded schema has no remember_token column.
     *
     * @var string
     */
    protected $rememberTokenName = '';

    /**
     * @var array<int, string>
     */
    protected $hidden = ['password'];

    public function unitKerja(): BelongsTo
    {
        return $this->belongsTo(UnitKerja::class);
    }

    public function sppd(): HasMany
    {
        return $this->hasMany(Sppd::class);
    }

    /**
     * Permissions per role, read once per request (PHP forgets statics between requests).
     *
     * @var array<string, array<int, string>>
     */
    private static array $permissionsOfRole = [];

    /**
     * The role's permissions, through the cache (6 h, tag `permissions`).
     *
     * @return array<int, string>
     */
    public function permissions(): array
    {
        return self::$permissionsOfRole[$this->role] ??= Cache::tags(['permissions'])->remember(
            "permissions:{$this->role}",
            config('esppd.ttl.permissions'),
            function () {
                return RolePermission::where('role', $this->role)
                    ->orderBy('permission')
                    ->pluck('permission')
                    ->all();
            }
        );
    }

    public function hasPermission(string $permission): bool
    {
        return in_array($permission, $this->permissions(), true);
    }

    /**
     * The approval level this user decides at, if their role has one in the chain.
     */
    public function approvalLevel(): ?ApprovalLevel
    {
        return $this->hasPermission('sppd.approve') ? ApprovalLevel::ofRole($this->role) : null;
    }
}
