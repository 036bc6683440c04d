<?php

namespace App\Services;

use App\Models\Transportasi;
use App\Models\Tujuan;
use App\Models\UnitKerja;
use Illuminate\Support\Facades\Cache;

/**
 * Master data lists, read through the cache for 24 h (tag `master`).
 */
class MasterData
{
    /**
     * @var array<string, array{0: string, 1: class-string, 2: array<int, string>, 3: string}>
     */
    public const KINDS = [
        'unit-kerja' => ['Unit kerja', UnitKerja::class, ['id', 'kode', 'nama', 'parent_id'], 'id'],
        'tujuan' => ['Tujuan', Tujuan::class, ['id', 'kota', 'provinsi', 'uang_harian'], 'kota'],
        'transportasi' => ['Transportasi', Transportasi::class, ['id', 'nama', 'jenis'], 'nama'],
    ];

    public static function exists(string $kind): bool
    {
        return array_key_exists($kind, self::KINDS);
    }

    public static function title(string $kind): string
    {
        return self::KINDS[$kind][0];
    }

    /**
     * @return array<int, array<string, mixed>>
     */
    public function rows(string $kind): array
    {
        [, $model, $columns, $order] = self::KINDS[$kind];

        return Cache::tags(['master'])->remember(
            "master:{$kind}",
            config('esppd.ttl.master'),
            function () use ($model, $columns, $order) {
                return $model::query()->orderBy($order)->get($columns)->toArray();
            }
        );
    }

    /**
     * @return array<int, int>
     */
    public function ids(string $kind): array
    {
        return array_column($this->rows($kind), 'id');
    }
}
