<?php

namespace App\Models;

use App\Models\Concerns\GeneratedFile;
use Illuminate\Database\Eloquent\Model;
use Illuminate\Database\Eloquent\Relations\BelongsTo;

/**
 * A travel-order PDF, produced on the queue: queued -> ready | failed.
 */
class Document extends Model
{
    use GeneratedFile;

    public const UPDATED_AT = null;

    public const MEDIA_TYPE = 'application/pdf';

    public const EXTENSION = 'pdf';

    /**
     * @var array<int, string>
     */
    protected $fillable = ['sppd_id', 'user_id'];

    public function sppd(): BelongsTo
    {
        return $this->belongsTo(Sppd::class);
    }
}
