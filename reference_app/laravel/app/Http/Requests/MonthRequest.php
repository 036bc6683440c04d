<?php

namespace App\Http\Requests;

use Illuminate\Foundation\Http\FormRequest;

/**
 * A month of a year (`bulan`, `tahun`), the current one when left out.
 */
class MonthRequest extends FormRequest
{
    /**
     * @return array<string, array<int, string>>
     */
    public function rules(): array
    {
        return [
            'bulan' => ['nullable', 'integer', 'between:1,12'],
            'tahun' => ['nullable', 'integer', 'between:2000,2100'],
        ];
    }

    public function month(): int
    {
        return (int) ($this->input('bulan') ?? now()->month);
    }

    public function year(): int
    {
        return (int) ($this->input('tahun') ?? now()->year);
    }
}
