@extends('layouts.app')
@section('title', $title)
@section('content')
<h1>{{ $title }}</h1>
<p>{{ $rows->total() }} SPPD @if ($status)berstatus {{ $status }} @endif&middot; halaman {{ $rows->currentPage() }} dari {{ max(1, $rows->lastPage()) }}</p>
<table>
<tr><th>Nomor</th><th>Pegawai</th><th>Unit</th><th>Tujuan</th><th>Transportasi</th><th>Berangkat</th><th>Kembali</th><th>Biaya</th><th>Status</th>@if ($approvals)<th>Aksi</th>@endif</tr>
@foreach ($rows as $row)
<tr data-sppd-id="{{ $row->id }}" data-status="{{ $row->status }}">
<td><a href="{{ route('sppd.show', $row) }}">{{ $row->displayNumber() }}</a></td>
<td>{{ $row->user->name }}</td><td>{{ $row->unitKerja->nama }}</td><td>{{ $row->tujuan->kota }}</td><td>{{ $row->transportasi->nama }}</td>
<td>{{ $row->tanggal_berangkat->toDateString() }}</td><td>{{ $row->tanggal_kembali->toDateString() }}</td><td>{{ $row->biaya }}</td>
<td><span class="badge">{{ $row->status }}</span></td>
@if ($approvals)<td>
<form method="post" action="{{ route('approvals.approve', $row) }}" style="display:inline">@csrf<button>Setujui</button></form>
<form method="post" action="{{ route('approvals.reject', $row) }}" style="display:inline">@csrf<input name="catatan" placeholder="alasan"><button>Tolak</button></form>
</td>@endif
</tr>
@endforeach
</table>
<p>@if ($rows->previousPageUrl())<a href="{{ $rows->previousPageUrl() }}" rel="prev">&laquo; sebelumnya</a>@endif
@if ($rows->nextPageUrl())<a href="{{ $rows->nextPageUrl() }}" rel="next">berikutnya &raquo;</a>@endif</p>
@endsection
