<?php

namespace App\Http\Requests\Concerns;

use Illuminate\Contracts\Validation\Validator;

/**
 * A bad filter in a page's query string has no form to go back to: the page
 * answers 422 with the first error (JSON clients get Laravel's usual 422).
 */
trait RejectsInvalidQueries
{
    /**
     * @throws \Illuminate\Validation\ValidationException
     */
    protected function failedValidation(Validator $validator)
    {
        if ($this->isMethod('GET') && ! $this->expectsJson()) {
            abort(422, $validator->errors()->first());
        }

        parent::failedValidation($validator);
    }
}
