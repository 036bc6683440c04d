@extends('layouts.app')
@section('title', 'SPPD ' . $sppd->displayNumber())
@section('content')
<h1>SPPD {{ $sppd->displayNumber() }}</h1>
<dl data-sppd-id="{{ $sppd->id }}" data-status="{{ $sppd->status }}">
<dt>Pegawai</dt><dd>{{ $sppd->user->name }} (NIP {{ $sppd->user->nip }})</dd>
<dt>Unit</dt><dd>{{ $sppd->unitKerja->nama }}</dd>
<dt>Maksud</dt><dd>{{ $sppd->maksud }}</dd>
<dt>Tujuan</dt><dd>{{ $sppd->tujuan->kota }}, {{ $sppd->tujuan->provinsi }}</dd>
<dt>Transportasi</dt><dd>{{ $sppd->transportasi->nama }}</dd>
<dt>Tanggal</dt><dd>{{ $sppd->tanggal_berangkat->toDateString() }} s.d. {{ $sppd->tanggal_kembali->toDateString() }}</dd>
<dt>Biaya</dt><dd>Rp {{ $sppd->biaya }}</dd>
<dt>Status</dt><dd><span class="badge">{{ $sppd->status }}</span></dd>
</dl>
@if ($sppd->status === 'draft' && $sppd->user_id === auth()->id())
<form method="post" action="{{ route('sppd.submit', $sppd) }}">@csrf<button>Ajukan</button></form>
@endif
@if ($canApprove)
<form method="post" action="{{ route('approvals.approve', $sppd) }}">@csrf<button>Setujui</button></form>
<form method="post" action="{{ route('approvals.reject', $sppd) }}">@csrf<input name="catatan" placeholder="alasan penolakan"><button>Tolak</button></form>
@endif
<form method="post" action="{{ route('sppd.document', $sppd) }}">@csrf<button>Unduh surat (.pdf)</button></form>
<h2>Riwayat</h2>
<ul>@foreach ($sppd->approvalLogs as $log)<li>{{ $log->created_at }} &mdash; {{ $log->action }}@if ($log->level) (tingkat {{ $log->level }})@endif oleh {{ $log->user->name }}@if ($log->catatan): {{ $log->catatan }}@endif</li>@endforeach</ul>
<h2>Laporan perjalanan</h2>
<ul>@forelse ($sppd->laporan as $l)<li>{{ $l->tanggal_laporan->toDateString() }}: {{ $l->ringkasan }} (Rp {{ $l->biaya_riil }})</li>@empty<li>Belum ada.</li>@endforelse</ul>
<h2>Dokumen</h2>
<ul>@foreach ($sppd->documents as $d)<li><a href="{{ route('documents.show', $d) }}">Dokumen #{{ $d->id }}</a> {{ $d->status }}</li>@endforeach</ul>
@endsection
