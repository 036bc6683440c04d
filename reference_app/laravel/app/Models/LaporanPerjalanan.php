<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * The traveller's report after an approved trip (partitioned by tanggal_laporan).
 */
class LaporanPerjalanan extends Model
{
    public const UPDATED_AT = null;

    protected $table = 'laporan_perjalanan';

    /**
     * @var array<int, string>
     */
    protected $fillable = ['sppd_id', 'user_id', 'tanggal_laporan', 'ringkasan', 'biaya_riil'];

    /**
     * @var array<string, string>
     */
    protected $casts = [
        'tanggal_laporan' => 'date:Y-m-d',
        'biaya_riil' => 'integer',
    ];

    public function user(): BelongsTo
    {
        return $this->belongsTo(User::class);
    }

    public function sppd(): BelongsTo
    {
        return $this->belongsTo(Sppd::class);
    }
}
