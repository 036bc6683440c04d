<?php

namespace App\Http\Requests;

use App\Http\Requests\Concerns\RejectsInvalidQueries;
use Illuminate\Foundation\Http\FormRequest;

/**
 * The SPPD list's filters: status, and a range of departure dates.
 */
class SppdFilterRequest extends FormRequest
{
    use RejectsInvalidQueries;

    /**
     * @return array<string, array<int, string>>
     */
    public function rules(): array
    {
        return [
            'status' => ['nullable', 'string', 'max:20'],
            'dari' => ['nullable', 'date_format:Y-m-d'],
            'sampai' => ['nullable', 'date_format:Y-m-d'],
        ];
    }
}
