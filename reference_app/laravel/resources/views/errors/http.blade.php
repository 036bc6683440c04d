@extends('layouts.app')
@php($status = $exception->getStatusCode())
@section('title', $status)
@section('content')
<h1>{{ $status }}</h1>
{{-- A 5xx message may carry internals (SQL, paths): show the status text only. --}}
<p class="error" data-error-code="{{ $status }}">{{ $status < 500 && $exception->getMessage() ? $exception->getMessage() : (\Symfony\Component\HttpFoundation\Response::$statusTexts[$status] ?? 'Error') }}</p>
@endsection
