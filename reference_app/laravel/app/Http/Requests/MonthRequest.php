<?php

namespace App\Http\Requests;

use App\Http\Requests\Concerns\RejectsInvalidQueries;
use App\Support\Month;
use Illuminate\Foundation\Http\FormRequest;

/**
 * A month of a year (`bulan`, `tahun`), the current one when left out.
 */
class MonthRequest extends FormRequest
{
    use RejectsInvalidQueries;

    /**
     * Back to the recap when an export is asked for a month that does not exist.
     *
     * @var string
     */
    protected $redirectRoute = 'reports.monthly';

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

    public function month(): Month
    {
        return new Month(
            (int) ($this->input('tahun') ?? now()->year),
            (int) ($this->input('bulan') ?? now()->month)
        );
    }
}
