<?php

namespace App\Models\Concerns;

use Illuminate\Support\Facades\Storage;
use Illuminate\Support\Str;

/**
 * What documents and exports share: an owner, a status, a file once ready.
 *
 * @property int $id
 * @property int $user_id
 * @property string $status
 * @property string|null $path
 */
trait GeneratedFile
{
    public function isReady(): bool
    {
        return $this->status === 'ready' && $this->path !== null && Storage::exists($this->path);
    }

    /**
     * Store the produced file and mark the row ready.
     */
    public function finish(string $contents): void
    {
        $path = $this->getTable() . "/{$this->id}." . static::EXTENSION;
        Storage::put($path, $contents);
        $this->forceFill(['status' => 'ready', 'path' => $path, 'finished_at' => now()])->save();
    }

    /**
     * After the last attempt: the user sees `failed` instead of waiting forever.
     */
    public function markFailed(): void
    {
        $this->forceFill(['status' => 'failed', 'finished_at' => now()])->save();
    }

    public function downloadName(): string
    {
        return Str::singular($this->getTable()) . "-{$this->id}." . static::EXTENSION;
    }
}
