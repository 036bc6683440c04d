<?php

namespace App\Services;

use App\Models\NomorCounter;
use Illuminate\Support\Facades\DB;

/**
 * The yearly SPPD letter number.
 *
 * Best practice: one atomic upsert, the row locked only until the short
 * transaction commits. With `esppd.hot_row_lock` the counter row is read FOR
 * UPDATE and held while the numbering service signs the letter, which
 * serialises every submit and approval of the year behind one row.
 * Call inside a transaction.
 */
class SppdNumbering
{
    public function next(int $year): int
    {
        if (config('esppd.hot_row_lock')) {
            return $this->nextHoldingTheRow($year);
        }

        if (DB::getDriverName() === 'mysql') {
            DB::statement(
                'INSERT INTO nomor_counter (tahun, nomor) VALUES (?, LAST_INSERT_ID(1)) '
                . 'ON DUPLICATE KEY UPDATE nomor = LAST_INSERT_ID(nomor + 1)',
                [$year]
            );

            return (int) DB::selectOne('SELECT LAST_INSERT_ID() AS nomor')->nomor;
        }

        return (int) DB::selectOne(
            'INSERT INTO nomor_counter AS c (tahun, nomor) VALUES (?, 1) '
            . 'ON CONFLICT (tahun) DO UPDATE SET nomor = c.nomor + 1 RETURNING nomor',
            [$year]
        )->nomor;
    }

    private function nextHoldingTheRow(int $year): int
    {
        NomorCounter::insertOrIgnore(['tahun' => $year, 'nomor' => 0]);
        $counter = NomorCounter::whereKey($year)->lockForUpdate()->firstOrFail();
        usleep((int) (config('esppd.hot_row_hold_seconds') * 1_000_000));
        $counter->increment('nomor');

        return $counter->nomor;
    }
}
