<?php

namespace App\Http\Controllers\Concerns;

use Illuminate\Database\Eloquent\Model;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Storage;
use Symfony\Component\HttpFoundation\StreamedResponse;

/**
 * Status page (HTML, or JSON for pollers) and download of a queued file.
 * Who may see it is GeneratedFilePolicy::view, checked by the routes.
 */
trait ShowsGeneratedFiles
{
    /**
     * @param  \App\Models\Document|\App\Models\Export  $file
     * @param  string  $kind  the route name prefix: documents | exports
     * @return \Illuminate\View\View|\Illuminate\Http\JsonResponse
     */
    protected function showFile(Request $request, Model $file, string $kind)
    {
        $download = $file->isReady() ? route("{$kind}.download", $file, false) : null;
        if ($request->expectsJson()) {
            return new JsonResponse(['id' => $file->id, 'status' => $file->status, 'download' => $download]);
        }

        return view('generated.show', ['kind' => $kind, 'item' => $file, 'download' => $download]);
    }

    /**
     * @param  \App\Models\Document|\App\Models\Export  $file
     */
    protected function downloadFile(Model $file): StreamedResponse
    {
        abort_unless($file->isReady(), 404, 'The file is not ready yet.');

        return Storage::download($file->path, $file->downloadName(), ['Content-Type' => $file::MEDIA_TYPE]);
    }
}
