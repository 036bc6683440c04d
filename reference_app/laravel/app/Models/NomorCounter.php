<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * The yearly counter behind SPPD letter numbers.
 */
class NomorCounter extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'nomor_counter';

    protected $primaryKey = 'tahun';
}
