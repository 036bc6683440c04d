<?php

namespace App\Jobs;

use App\Models\Export;
use App\Support\Month;
use App\Support\XlsxWriter;
use Illuminate\Support\Facades\DB;
use Throwable;

/**
 * The month-end recap as .xlsx: every trip of the month, then a summary per unit.
 */
class ExportMonthlyReport extends EsppdJob
{
    private const HEADER = [
        'ID', 'Nomor', 'NIP', 'Pegawai', 'Unit', 'Tujuan', 'Transportasi', 'Berangkat',
        'Kembali', 'Biaya', 'Status', 'Biaya riil',
    ];

    /**
     * @var \App\Models\Export
     */
    public $export;

    public function __construct(Export $export)
    {
        $this->export = $export;
        $this->onQueue('exports');
    }

    public function handle(): void
    {
        $month = new Month($this->export->tahun, $this->export->bulan);
        $trips = DB::table('sppd as s')
            ->join('users as u', 'u.id', '=', 's.user_id')
            ->join('unit_kerja as uk', 'uk.id', '=', 's.unit_kerja_id')
            ->join('tujuan as t', 't.id', '=', 's.tujuan_id')
            ->join('transportasi as tr', 'tr.id', '=', 's.transportasi_id')
            ->leftJoin('laporan_perjalanan as l', 'l.sppd_id', '=', 's.id')
            ->where('s.tanggal_berangkat', '>=', $month->start())
            ->where('s.tanggal_berangkat', '<', $month->end())
            ->orderBy('uk.nama')->orderBy('s.tanggal_berangkat')->orderBy('s.id')
            ->get([
                's.id', 's.nomor', 'u.nip', 'u.name as pegawai', 'uk.nama as unit', 't.kota',
                'tr.nama as transportasi', 's.tanggal_berangkat', 's.tanggal_kembali', 's.biaya',
                's.status', 'l.biaya_riil',
            ]);

        $rows = [self::HEADER];
        $perUnit = [];
        foreach ($trips as $trip) {
            $rows[] = [
                (int) $trip->id, $trip->nomor, $trip->nip, $trip->pegawai, $trip->unit, $trip->kota,
                $trip->transportasi, $trip->tanggal_berangkat, $trip->tanggal_kembali, (float) $trip->biaya,
                $trip->status, (float) ($trip->biaya_riil ?? 0),
            ];
            $perUnit[$trip->unit] ??= [0, 0.0, 0.0];
            $perUnit[$trip->unit][0]++;
            $perUnit[$trip->unit][1] += (float) $trip->biaya;
            $perUnit[$trip->unit][2] += (float) ($trip->biaya_riil ?? 0);
        }
        ksort($perUnit);
        $summary = [['Unit', 'Jumlah SPPD', 'Total biaya', 'Total biaya riil']];
        foreach ($perUnit as $unit => [$count, $biaya, $riil]) {
            $summary[] = [$unit, $count, $biaya, $riil];
        }

        $workbook = new XlsxWriter();
        $workbook->addSheet(sprintf('SPPD %d-%02d', $this->export->tahun, $this->export->bulan), $rows);
        $workbook->addSheet('Rekap per unit', $summary);
        $this->export->finish($workbook->contents());
    }

    public function failed(Throwable $error): void
    {
        $this->export->markFailed();
    }
}
