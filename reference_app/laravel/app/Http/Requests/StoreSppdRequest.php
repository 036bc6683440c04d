<?php

namespace App\Http\Requests;

use App\Services\MasterData;
use Illuminate\Foundation\Http\FormRequest;
use Illuminate\Support\Carbon;
use Illuminate\Validation\Rule;
use Illuminate\Validation\Validator;

class StoreSppdRequest extends FormRequest
{
    /**
     * Back to the form with the errors and the old input.
     *
     * @var string
     */
    protected $redirectRoute = 'sppd.create';

    /**
     * Destinations and transport are checked against the cached master data,
     * so a valid form costs no extra query.
     *
     * @return array<string, array<int, mixed>>
     */
    public function rules(MasterData $master): array
    {
        return [
            'tujuan_id' => ['required', 'integer', Rule::in($master->ids('tujuan'))],
            'transportasi_id' => ['required', 'integer', Rule::in($master->ids('transportasi'))],
            'maksud' => ['required', 'string', 'between:5,500'],
            'tanggal_berangkat' => ['required', 'date_format:Y-m-d'],
            'tanggal_kembali' => ['required', 'date_format:Y-m-d', 'after_or_equal:tanggal_berangkat'],
            'biaya' => ['nullable', 'integer', 'between:1,500000000'],
        ];
    }

    /**
     * A trip lasts at most esppd.max_trip_days days.
     */
    public function withValidator(Validator $validator): void
    {
        $validator->after(function (Validator $validator) {
            if ($validator->errors()->hasAny(['tanggal_berangkat', 'tanggal_kembali'])) {
                return;
            }
            $days = $this->tripDays();
            $limit = config('esppd.max_trip_days');
            if ($days > $limit) {
                $validator->errors()->add('tanggal_kembali', "A trip may last at most {$limit} days.");
            }
        });
    }

    /**
     * Days away, counting the day of departure and of return.
     */
    public function tripDays(): int
    {
        return Carbon::parse($this->input('tanggal_berangkat'))
            ->diffInDays(Carbon::parse($this->input('tanggal_kembali'))) + 1;
    }
}
