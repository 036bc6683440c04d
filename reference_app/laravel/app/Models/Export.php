<?php

namespace App\Models;

use App\Models\Concerns\GeneratedFile;
use Illuminate\Database\Eloquent\Model;

/**
 * A month-end .xlsx recap, produced on the queue: queued -> ready | failed.
 */
class Export extends Model
{
    use GeneratedFile;

    public const UPDATED_AT = null;

    public const MEDIA_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

    public const EXTENSION = 'xlsx';

    /**
     * @var array<int, string>
     */
    protected $fillable = ['user_id', 'bulan', 'tahun'];
}
