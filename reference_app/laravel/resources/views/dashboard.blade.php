@extends('layouts.app')
@section('title', 'Dashboard')
@section('content')
<h1>Dashboard {{ $year }}</h1>
<p>{{ $user->name }} &middot; {{ $user->unitKerja->nama }} &middot; {{ $user->role }}</p>
@if ($pending !== null)<p>Menunggu persetujuan: <strong data-pending="{{ $pending }}">{{ $pending }}</strong></p>@endif
<h2>SPPD per status</h2>
<table><tr><th>Status</th><th>Jumlah</th><th>Biaya (Rp)</th></tr>
@foreach ($stats['by_status'] as $row)<tr><td>{{ $row['status'] }}</td><td>{{ $row['jumlah'] }}</td><td>{{ $row['biaya'] }}</td></tr>@endforeach
</table>
<h2>SPPD per bulan</h2>
<table><tr><th>Bulan</th><th>Jumlah</th></tr>
@foreach ($stats['by_month'] as $row)<tr><td>{{ $row['bulan'] }}</td><td>{{ $row['jumlah'] }}</td></tr>@endforeach
</table>
<h2>Tren SPPD universitas</h2>
<table><tr><th>Tahun</th><th>Status</th><th>Jumlah</th><th>Biaya (Rp)</th></tr>
@foreach ($trend as $row)<tr><td>{{ $row['tahun'] }}</td><td>{{ $row['status'] }}</td><td>{{ $row['jumlah'] }}</td><td>{{ $row['biaya'] }}</td></tr>@endforeach
</table>
<h2>SPPD terbaru saya</h2>
<ul>@foreach ($latest as $row)<li><a href="{{ route('sppd.show', $row) }}" data-sppd-id="{{ $row->id }}">{{ $row->maksud }} &mdash; {{ $row->tujuan->kota }}, {{ $row->tanggal_berangkat->toDateString() }}</a> <span class="badge">{{ $row->status }}</span></li>@endforeach</ul>
@endsection
