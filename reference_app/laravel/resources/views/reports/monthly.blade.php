@extends('layouts.app')
@section('title', "Rekap {$bulan}/{$tahun}")
@section('content')
<h1>Rekap SPPD bulan {{ $bulan }}/{{ $tahun }}</h1>
<form method="get"><input name="bulan" value="{{ $bulan }}" size="2"> <input name="tahun" value="{{ $tahun }}" size="4"> <button>Tampilkan</button></form>
<form method="post" action="{{ route('exports.store') }}">@csrf<input type="hidden" name="bulan" value="{{ $bulan }}"><input type="hidden" name="tahun" value="{{ $tahun }}"><button>Ekspor .xlsx</button></form>
<table><tr><th>Unit</th><th>Jumlah</th><th>Disetujui</th><th>Ditolak</th><th>Menunggu</th><th>Biaya</th><th>Biaya riil</th><th>Rata-rata hari</th></tr>
@foreach ($rows as $r)<tr data-unit-id="{{ $r['id'] }}"><td>{{ $r['nama'] }}</td><td>{{ $r['jumlah'] }}</td><td>{{ $r['disetujui'] }}</td><td>{{ $r['ditolak'] }}</td><td>{{ $r['menunggu'] }}</td><td>{{ $r['biaya'] }}</td><td>{{ $r['biaya_riil'] }}</td><td>{{ number_format($r['rata_hari'], 1) }}</td></tr>@endforeach
<tr><th>Total</th><th data-total-jumlah="{{ $totalJumlah }}">{{ $totalJumlah }}</th><th colspan="3"></th><th>{{ $totalBiaya }}</th><th colspan="2"></th></tr>
</table>
@endsection
