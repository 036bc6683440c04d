@extends('layouts.app')
@section('title', 'Laporan perjalanan')
@section('content')
<h1>Laporan perjalanan</h1>
@if ($awaiting->isNotEmpty())
<h2>Perjalanan yang menunggu laporan</h2>
<ul>@foreach ($awaiting as $s)<li data-awaiting-sppd-id="{{ $s->id }}" data-biaya="{{ $s->biaya }}">{{ $s->maksud }} &mdash; {{ $s->tujuan->kota }}, {{ $s->tanggal_berangkat->toDateString() }} s.d. {{ $s->tanggal_kembali->toDateString() }}</li>@endforeach</ul>
<form method="post" action="{{ route('laporan.store') }}">
@csrf
<select name="sppd_id">@foreach ($awaiting as $s)<option value="{{ $s->id }}">#{{ $s->id }} {{ $s->tujuan->kota }}</option>@endforeach</select>
<input name="ringkasan" placeholder="ringkasan"><input name="biaya_riil" placeholder="biaya riil">
<button>Kirim laporan</button>
</form>
@endif
@foreach ($errors->all() as $error)<p class="error">{{ $error }}</p>@endforeach
<h2>Laporan</h2>
<table><tr><th>Tanggal</th><th>Pegawai</th><th>Ringkasan</th><th>Biaya riil</th></tr>
@foreach ($reports as $r)<tr data-laporan-id="{{ $r->id }}"><td>{{ $r->tanggal_laporan->toDateString() }}</td><td>{{ $r->user->name }}</td><td>{{ $r->ringkasan }}</td><td>{{ $r->biaya_riil }}</td></tr>@endforeach
</table>
@endsection
