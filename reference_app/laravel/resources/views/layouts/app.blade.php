<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="csrf-token" content="{{ csrf_token() }}">
<title>@yield('title', 'eSPPD') - eSPPD</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;color:#1d2733}
nav{background:#123;padding:.6rem 1rem}nav a{color:#fff;margin-right:1rem;text-decoration:none}
main{padding:1rem 2rem}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #dde;padding:.3rem .5rem;text-align:left}
.error{color:#b00}.badge{padding:.1rem .4rem;border-radius:.3rem;background:#eef}
</style>
</head>
<body>
@auth
<nav>
  <a href="{{ route('dashboard') }}">Dashboard</a>
  <a href="{{ route('sppd.index') }}">SPPD</a>
  @can('sppd.create')<a href="{{ route('sppd.create') }}">Buat SPPD</a>@endcan
  @can('sppd.approve')<a href="{{ route('approvals.index') }}">Persetujuan</a>@endcan
  <a href="{{ route('laporan.index') }}">Laporan</a>
  @can('reports.view')<a href="{{ route('reports.monthly') }}">Rekap bulanan</a>@endcan
  <a href="{{ route('master.show', 'tujuan') }}">Master data</a>
  <form method="post" action="{{ route('logout') }}" style="display:inline">
    @csrf
    <button type="submit">Keluar ({{ auth()->user()->name }})</button>
  </form>
</nav>
@endauth
<main>@yield('content')</main>
</body>
</html>
