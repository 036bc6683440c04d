<?php

namespace App\Http\Requests;

use Illuminate\Foundation\Http\FormRequest;

class StoreLaporanRequest extends FormRequest
{
    /**
     * Back to the trip reports, where the form is.
     *
     * @var string
     */
    protected $redirectRoute = 'laporan.index';

    /**
     * @return array<string, array<int, string>>
     */
    public function rules(): array
    {
        return [
            'sppd_id' => ['required', 'integer'],
            'ringkasan' => ['required', 'string', 'min:10'],
            'biaya_riil' => ['required', 'integer', 'between:0,500000000'],
        ];
    }
}
