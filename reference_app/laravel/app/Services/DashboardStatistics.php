<?php

namespace App\Services;

use App\Models\Sppd;
use App\Models\User;
use Illuminate\Database\Eloquent\Builder;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\DB;

/**
 * The dashboard's numbers, cached for 15 minutes.
 *
 * A scope's statistics of a year (a lecturer's, a unit's, everyone's) are
 * forgotten by every write to an SPPD departing that year: three keys, so
 * plain keys rather than tags, whose flush also deletes the tag's id and
 * scans its key sets (lookups that miss on every write). The university's
 * five-year trend scans every yearly partition, is the same for everyone and
 * is left to expire.
 */
class DashboardStatistics
{
    /**
     * @return array{by_status: array<int, array<string, mixed>>, by_month: array<int, array<string, mixed>>}
     */
    public function forUser(User $user, int $year): array
    {
        [$name, $scope] = $this->scope($user);

        return Cache::remember(
            $this->key($name, $year),
            config('esppd.ttl.dashboard'),
            function () use ($scope, $year) {
                $inYear = function () use ($scope, $year): Builder {
                    return $scope(Sppd::query())
                        ->where('tanggal_berangkat', '>=', "{$year}-01-01")
                        ->where('tanggal_berangkat', '<', ($year + 1) . '-01-01');
                };

                return [
                    'by_status' => $inYear()
                        ->selectRaw('status, count(*) AS jumlah, COALESCE(sum(biaya), 0) AS biaya')
                        ->groupBy('status')->orderBy('status')
                        ->toBase()->get()->map(fn ($row) => (array) $row)->all(),
                    'by_month' => $inYear()
                        ->selectRaw($this->part('month') . ' AS bulan, count(*) AS jumlah')
                        ->groupByRaw('1')->orderByRaw('1')
                        ->toBase()->get()->map(fn ($row) => (array) $row)->all(),
                ];
            }
        );
    }

    /**
     * @return array<int, array<string, mixed>>
     */
    public function universityTrend(int $year): array
    {
        return Cache::remember(
            "dashboard:university:trend:{$year}",
            config('esppd.ttl.dashboard'),
            function () use ($year) {
                return Sppd::query()
                    ->selectRaw($this->part('year') . ' AS tahun, status, count(*) AS jumlah, '
                        . 'COALESCE(sum(biaya), 0) AS biaya')
                    ->where('tanggal_berangkat', '>=', ($year - 4) . '-01-01')
                    ->where('tanggal_berangkat', '<', ($year + 1) . '-01-01')
                    ->groupByRaw('1, 2')->orderByRaw('1, 2')
                    ->toBase()->get()->map(fn ($row) => (array) $row)->all();
            }
        );
    }

    /**
     * Forget the statistics that count this SPPD, after a write to it.
     */
    public function forget(Sppd $sppd): void
    {
        $scopes = ["dashboard:user:{$sppd->user_id}", "dashboard:unit:{$sppd->unit_kerja_id}", 'dashboard:all'];
        foreach ($scopes as $scope) {
            Cache::forget($this->key($scope, $sppd->tanggal_berangkat->year));
        }
    }

    private function key(string $scope, int $year): string
    {
        return "{$scope}:stats:{$year}";
    }

    /**
     * The cache scope and query filter of the SPPD a user's dashboard counts.
     *
     * @return array{0: string, 1: callable(Builder): Builder}
     */
    private function scope(User $user): array
    {
        if ($user->role === 'dosen') {
            return ["dashboard:user:{$user->id}", fn (Builder $q) => $q->where('user_id', $user->id)];
        }
        if ($user->role === 'atasan') {
            return [
                "dashboard:unit:{$user->unit_kerja_id}",
                fn (Builder $q) => $q->where('unit_kerja_id', $user->unit_kerja_id),
            ];
        }

        return ['dashboard:all', fn (Builder $q) => $q];
    }

    /**
     * The year or month of the departure date, in the connection's own SQL.
     */
    private function part(string $part): string
    {
        if (DB::getDriverName() === 'mysql') {
            return strtoupper($part) . '(tanggal_berangkat)';
        }

        return "extract({$part} FROM tanggal_berangkat)::int";
    }
}
