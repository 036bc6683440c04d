<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Builder;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;
use Illuminate\Database\Eloquent\Relations\HasMany;

/**
 * A travel order (Surat Perintah Perjalanan Dinas): draft -> diajukan -> disetujui | ditolak -> selesai.
 * While diajukan it climbs the approval chain; `approval_level` counts the approvals it has.
 *
 * The table is partitioned by tanggal_berangkat; updates name the partition
 * key too (see scopeSameRow) so PostgreSQL and MariaDB touch one partition.
 *
 * @property int $id
 * @property string|null $nomor
 * @property int $user_id
 * @property int $unit_kerja_id
 * @property string $maksud
 * @property \Illuminate\Support\Carbon $tanggal_berangkat
 * @property \Illuminate\Support\Carbon $tanggal_kembali
 * @property int $biaya
 * @property string $status
 * @property int $approval_level
 * @property-read \App\Models\User $user
 * @property-read \App\Models\UnitKerja $unitKerja
 * @property-read \App\Models\Tujuan $tujuan
 * @property-read \App\Models\Transportasi $transportasi
 */
class Sppd extends Model
{
    public const LIST_RELATIONS = ['user', 'unitKerja', 'tujuan', 'transportasi'];

    protected $table = 'sppd';

    /**
     * @var array<int, string>
     */
    protected $fillable = [
        'user_id', 'unit_kerja_id', 'tujuan_id', 'transportasi_id', 'maksud',
        'tanggal_berangkat', 'tanggal_kembali', 'biaya',
    ];

    /**
     * @var array<string, string>
     */
    protected $casts = [
        'tanggal_berangkat' => 'date:Y-m-d',
        'tanggal_kembali' => 'date:Y-m-d',
        'biaya' => 'integer',
        'approval_level' => 'integer',
        'approved_at' => 'datetime',
    ];

    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    public function unitKerja(): BelongsTo
    {
        return $this->belongsTo(UnitKerja::class);
    }

    public function tujuan(): BelongsTo
    {
        return $this->belongsTo(Tujuan::class);
    }

    public function transportasi(): BelongsTo
    {
        return $this->belongsTo(Transportasi::class);
    }

    public function approvalLogs(): HasMany
    {
        return $this->hasMany(ApprovalLog::class)->orderBy('created_at');
    }

    public function laporan(): HasMany
    {
        return $this->hasMany(LaporanPerjalanan::class);
    }

    public function documents(): HasMany
    {
        return $this->hasMany(Document::class);
    }

    /**
     * The list pages' user, unit, destination and transport: one query per relation,
     * unless `esppd.eager_loading` is off (then each row loads its own: N+1).
     */
    public function scopeWithListRelations(Builder $query): Builder
    {
        return config('esppd.eager_loading') ? $query->with(self::LIST_RELATIONS) : $query;
    }

    /**
     * Submitted SPPD that wait for the approver's level, over the units it covers,
     * other than the approver's own trips.
     */
    public function scopeAwaitingDecisionBy(Builder $query, User $approver): Builder
    {
        $level = $approver->approvalLevel();
        if ($level === null) {
            return $query->whereRaw('1 = 0');
        }

        return $level->limitToUnits($query, $approver)
            ->where('status', 'diajukan')
            ->where('approval_level', $level->level - 1)
            ->where('user_id', '<>', $approver->id);
    }

    /**
     * The SPPD a user's lists show: all of them, those their approval level covers, or their own.
     */
    public function scopeVisibleTo(Builder $query, User $user): Builder
    {
        if ($user->hasPermission('sppd.view-all')) {
            return $query;
        }
        if ($user->hasPermission('sppd.approve')) {
            $level = $user->approvalLevel();

            return $level === null
                ? $query->where('unit_kerja_id', $user->unit_kerja_id)
                : $level->limitToUnits($query, $user);
        }

        return $query->where('user_id', $user->id);
    }

    /**
     * This row only if its status is still `$status` (first writer wins).
     */
    public function scopeSameRow(Builder $query, self $sppd, string $status): Builder
    {
        return $query->whereKey($sppd->id)
            ->where('tanggal_berangkat', $sppd->tanggal_berangkat->toDateString())
            ->where('status', $status);
    }

    public function scopeNewestTripFirst(Builder $query): Builder
    {
        return $query->orderByDesc('tanggal_berangkat')->orderByDesc('id');
    }

    public function displayNumber(): string
    {
        return $this->nomor ?? "#{$this->id}";
    }
}
