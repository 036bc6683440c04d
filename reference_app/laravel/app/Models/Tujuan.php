<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * A destination city with its daily allowance (uang harian).
 */
class Tujuan extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'tujuan';

    /**
     * @var array<string, string>
     */
    protected $casts = [
        'uang_harian' => 'integer',
    ];
}
