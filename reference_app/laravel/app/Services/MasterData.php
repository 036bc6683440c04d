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
     * Each list: its page title, model, columns and order.
     *
     * @var array<string, array{title: string, model: class-string, columns: array<int, string>, order: string}>
     */
    public const KINDS = [
        'unit-kerja' => [
            'title' => 'Unit kerja',
            'model' => UnitKerja::class,
            'columns' => ['id', 'kode', 'nama', 'parent_id'],
            'order' => 'id',
        ],
        'tujuan' => [
            'title' => 'Tujuan',
            'model' => Tujuan::class,
            'columns' => ['id', 'kota', 'provinsi', 'uang_harian'],
            'order' => 'kota',
        ],
        'transportasi' => [
            'title' => 'Transportasi',
            'model' => Transportasi::class,
            'columns' => ['id', 'nama', 'jenis'],
            'order' => 'nama',
        ],
    ];

    public static function exists(string $kind): bool
    {
        return array_key_exists($kind, self::KINDS);
    }

    public static function title(string $kind): string
    {
        return self::KINDS[$kind]['title'];
    }

    /**
     * @return array<int, array<string, mixed>>
     */
    public function rows(string $kind): array
    {
        $list = self::KINDS[$kind];

        return Cache::tags(['master'])->remember(
            "master:{$kind}",
            config('esppd.ttl.master'),
            fn () => $list['model']::query()->orderBy($list['order'])->get($list['columns'])->toArray()
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
