@extends('layouts.app')
@section('title', 'Buat SPPD')
@section('content')
<h1>Buat SPPD</h1>
<form method="post" action="{{ route('sppd.store') }}">
@csrf
<p><label>Tujuan <select name="tujuan_id">@foreach ($tujuan as $t)<option value="{{ $t['id'] }}" data-uang-harian="{{ $t['uang_harian'] }}" @if (old('tujuan_id') == $t['id']) selected @endif>{{ $t['kota'] }} ({{ $t['provinsi'] }})</option>@endforeach</select></label>
@error('tujuan_id')<span class="error" data-error="tujuan_id">{{ $message }}</span>@enderror</p>
<p><label>Transportasi <select name="transportasi_id">@foreach ($transportasi as $t)<option value="{{ $t['id'] }}" data-transportasi @if (old('transportasi_id') == $t['id']) selected @endif>{{ $t['nama'] }}</option>@endforeach</select></label>
@error('transportasi_id')<span class="error" data-error="transportasi_id">{{ $message }}</span>@enderror</p>
<p><label>Maksud perjalanan <input name="maksud" value="{{ old('maksud') }}"></label>
@error('maksud')<span class="error" data-error="maksud">{{ $message }}</span>@enderror</p>
<p><label>Berangkat <input type="date" name="tanggal_berangkat" value="{{ old('tanggal_berangkat') }}"></label>
@error('tanggal_berangkat')<span class="error" data-error="tanggal_berangkat">{{ $message }}</span>@enderror</p>
<p><label>Kembali <input type="date" name="tanggal_kembali" value="{{ old('tanggal_kembali') }}"></label>
@error('tanggal_kembali')<span class="error" data-error="tanggal_kembali">{{ $message }}</span>@enderror</p>
<p><label>Biaya (Rp, kosongkan untuk uang harian &times; hari) <input name="biaya" value="{{ old('biaya') }}"></label>
@error('biaya')<span class="error" data-error="biaya">{{ $message }}</span>@enderror</p>
<button type="submit">Simpan draf</button>
</form>
@endsection
