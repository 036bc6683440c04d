<?php

namespace App\Http\Controllers;

use App\Http\Controllers\Concerns\ShowsGeneratedFiles;
use App\Jobs\GenerateSppdDocument;
use App\Models\Document;
use App\Models\Sppd;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\StreamedResponse;

class DocumentController extends Controller
{
    use ShowsGeneratedFiles;

    /**
     * Queue the travel-order PDF of an SPPD the user may see.
     */
    public function store(Request $request, Sppd $sppd): RedirectResponse
    {
        $document = Document::create(['sppd_id' => $sppd->id, 'user_id' => $request->user()->id]);
        GenerateSppdDocument::dispatch($document);

        return redirect()->route('documents.show', $document);
    }

    /**
     * @return \Illuminate\View\View|\Illuminate\Http\JsonResponse
     */
    public function show(Request $request, Document $document)
    {
        return $this->showFile($request, $document, 'documents');
    }

    public function download(Document $document): StreamedResponse
    {
        return $this->downloadFile($document);
    }
}
