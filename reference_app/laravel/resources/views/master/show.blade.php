@extends('layouts.app')
@section('title', $title)
@section('content')
<h1>{{ $title }}</h1>
<p><a href="{{ route('master.show', 'unit-kerja') }}">Unit kerja</a> &middot; <a href="{{ route('master.show', 'tujuan') }}">Tujuan</a> &middot; <a href="{{ route('master.show', 'transportasi') }}">Transportasi</a></p>
<table><tr>@foreach ($columns as $c)<th>{{ $c }}</th>@endforeach</tr>
@foreach ($rows as $r)<tr>@foreach ($columns as $c)<td>{{ $r[$c] }}</td>@endforeach</tr>@endforeach
</table>
@endsection
