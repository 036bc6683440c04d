<?php

namespace App\Http\Requests;

use Illuminate\Foundation\Http\FormRequest;
use Illuminate\Http\Exceptions\ThrottleRequestsException;
use Illuminate\Support\Facades\Auth;
use Illuminate\Support\Facades\RateLimiter;
use Illuminate\Support\Str;
use Illuminate\Validation\ValidationException;

class LoginRequest extends FormRequest
{
    /**
     * @return array<string, array<int, string>>
     */
    public function rules(): array
    {
        return [
            'email' => ['required', 'string', 'email'],
            'password' => ['required', 'string'],
        ];
    }

    /**
     * Sign in, counting failures per e-mail and address: five a minute, then 429.
     *
     * @throws \Illuminate\Validation\ValidationException
     * @throws \Illuminate\Http\Exceptions\ThrottleRequestsException
     */
    public function authenticate(): void
    {
        $key = $this->throttleKey();
        $limit = config('esppd.login_attempts_per_minute');
        if (RateLimiter::tooManyAttempts($key, $limit)) {
            throw new ThrottleRequestsException(
                'Too many login attempts. Please try again in a minute.',
                null,
                ['Retry-After' => RateLimiter::availableIn($key)]
            );
        }

        if (! Auth::attempt(['email' => Str::lower($this->input('email')), 'password' => $this->input('password')])) {
            RateLimiter::hit($key);

            throw ValidationException::withMessages([
                'email' => 'These credentials do not match our records.',
            ]);
        }

        RateLimiter::clear($key);
    }

    public function throttleKey(): string
    {
        return Str::lower($this->input('email')) . '|' . $this->ip();
    }
}
