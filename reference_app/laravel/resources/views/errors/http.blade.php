@extends('layouts.app')
@section('title', $exception->getStatusCode())
@section('content')
<h1>{{ $exception->getStatusCode() }}</h1>
<p class="error" data-error-code="{{ $exception->getStatusCode() }}">{{ $exception->getMessage() ?: \Symfony\Component\HttpFoundation\Response::$statusTexts[$exception->getStatusCode()] ?? 'Error' }}</p>
@endsection
