@extends('layouts.app')
@section('title', "{$kind} #{$item->id}")
@section('content')
<h1>{{ $kind === 'exports' ? 'Ekspor' : 'Dokumen' }} #{{ $item->id }}</h1>
<p>Status: <span class="badge" data-status="{{ $item->status }}">{{ $item->status }}</span></p>
@if ($download)<p><a href="{{ $download }}" data-download>Unduh</a></p>@else<p>Sedang diproses&hellip; muat ulang halaman ini.</p>@endif
@endsection
