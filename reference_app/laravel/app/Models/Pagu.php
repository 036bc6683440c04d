<?php

namespace App\Models;

use Illuminate\Database\Eloquent\Model;

/**
 * A unit's travel budget for one year, and how much of it approvals have used.
 */
class Pagu extends Model
{
    public $timestamps = false;

    public $incrementing = false;

    protected $table = 'pagu';
}
