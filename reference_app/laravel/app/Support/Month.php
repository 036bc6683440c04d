<?php

namespace App\Support;

use Illuminate\Support\Carbon;

/**
 * One calendar month: what the month-end recap and its export cover.
 */
class Month
{
    public function __construct(public int $year, public int $month)
    {
    }

    /**
     * The first day, inclusive (Y-m-d).
     */
    public function start(): string
    {
        return Carbon::create($this->year, $this->month, 1)->toDateString();
    }

    /**
     * The first day of the next month, exclusive (Y-m-d).
     */
    public function end(): string
    {
        return Carbon::create($this->year, $this->month, 1)->addMonth()->toDateString();
    }
}
