<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * A means of transport (plane, train, bus, ...).
 */
class Transportasi extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'transportasi';
}
