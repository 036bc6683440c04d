@extends('layouts.app')
@section('title', 'Masuk')
@section('content')
<h1>Masuk ke eSPPD</h1>
<form method="post" action="{{ url('/login') }}">
  @csrf
  <p><label>Email <input type="email" name="email" value="{{ old('email') }}" required></label>
  @error('email')<span class="error" data-error="email">{{ $message }}</span>@enderror</p>
  <p><label>Kata sandi <input type="password" name="password" required></label>
  @error('password')<span class="error" data-error="password">{{ $message }}</span>@enderror</p>
  <button type="submit">Masuk</button>
</form>
@endsection
