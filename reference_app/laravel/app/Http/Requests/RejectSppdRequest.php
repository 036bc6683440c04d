<?php

namespace App\Http\Requests;

use Illuminate\Foundation\Http\FormRequest;

/**
 * A rejection and its reason; who may reject is SppdPolicy::approve (the route checks it).
 */
class RejectSppdRequest extends FormRequest
{
    /**
     * Back to the list of SPPD awaiting a decision.
     *
     * @var string
     */
    protected $redirectRoute = 'approvals.index';

    /**
     * @return array<string, array<int, string>>
     */
    public function rules(): array
    {
        return [
            'catatan' => ['required', 'string', 'min:5'],
        ];
    }

    /**
     * @return array<string, string>
     */
    public function messages(): array
    {
        return [
            'catatan.*' => 'A rejection needs a reason of at least 5 characters.',
        ];
    }
}
