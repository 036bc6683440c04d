<?php

namespace App\Http\Controllers;

use App\Http\Requests\MonthRequest;
use Illuminate\Http\JsonResponse;
use Illuminate\Support\Facades\DB;

class MonthlyReportController extends Controller
{
    /**
     * The month-end recap per unit: trips by outcome, cost planned and spent, average days.
     *
     * @return \Illuminate\View\View|\Illuminate\Http\JsonResponse
     */
    public function __invoke(MonthRequest $request)
    {
        $month = $request->month();
        $days = DB::getDriverName() === 'mysql'
            ? 'DATEDIFF(s.tanggal_kembali, s.tanggal_berangkat) + 1'
            : 's.tanggal_kembali - s.tanggal_berangkat + 1';

        $rows = DB::table('unit_kerja as uk')
            ->leftJoin('sppd as s', function ($join) use ($month) {
                $join->on('s.unit_kerja_id', '=', 'uk.id')
                    ->where('s.tanggal_berangkat', '>=', $month->start())
                    ->where('s.tanggal_berangkat', '<', $month->end());
            })
            ->leftJoin('laporan_perjalanan as l', 'l.sppd_id', '=', 's.id')
            ->selectRaw(
                'uk.id, uk.kode, uk.nama, count(s.id) AS jumlah, '
                . "sum(CASE WHEN s.status IN ('disetujui', 'selesai') THEN 1 ELSE 0 END) AS disetujui, "
                . "sum(CASE WHEN s.status = 'ditolak' THEN 1 ELSE 0 END) AS ditolak, "
                . "sum(CASE WHEN s.status = 'diajukan' THEN 1 ELSE 0 END) AS menunggu, "
                . 'COALESCE(sum(s.biaya), 0) AS biaya, COALESCE(sum(l.biaya_riil), 0) AS biaya_riil, '
                . "COALESCE(avg({$days}), 0) AS rata_hari"
            )
            ->groupBy('uk.id', 'uk.kode', 'uk.nama')
            ->orderBy('uk.kode')
            ->get()
            ->map(fn ($row) => [
                'id' => (int) $row->id,
                'kode' => $row->kode,
                'nama' => $row->nama,
                'jumlah' => (int) $row->jumlah,
                'disetujui' => (int) $row->disetujui,
                'ditolak' => (int) $row->ditolak,
                'menunggu' => (int) $row->menunggu,
                'biaya' => (float) $row->biaya,
                'biaya_riil' => (float) $row->biaya_riil,
                'rata_hari' => (float) $row->rata_hari,
            ]);

        if ($request->expectsJson()) {
            return new JsonResponse(['bulan' => $month->month, 'tahun' => $month->year, 'units' => $rows]);
        }

        return view('reports.monthly', [
            'rows' => $rows,
            'bulan' => $month->month,
            'tahun' => $month->year,
            'totalBiaya' => $rows->sum('biaya'),
            'totalJumlah' => $rows->sum('jumlah'),
        ]);
    }
}
