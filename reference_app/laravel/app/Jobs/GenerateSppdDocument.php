<?php

namespace App\Jobs;

use App\Models\Document;
use Dompdf\Dompdf;
use Dompdf\Options;
use Throwable;

/**
 * Render the travel order (Surat Perintah Perjalanan Dinas) as a PDF.
 */
class GenerateSppdDocument extends EsppdJob
{
    /**
     * @var \App\Models\Document
     */
    public $document;

    public function __construct(Document $document)
    {
        $this->document = $document;
        $this->onQueue('documents');
    }

    public function handle(): void
    {
        $sppd = $this->document->sppd()->with(['user', 'unitKerja', 'tujuan', 'transportasi'])->firstOrFail();
        $options = new Options([
            'tempDir' => storage_path('framework/cache'),
            'fontCache' => storage_path('framework/cache'),
            'isRemoteEnabled' => false,
        ]);
        $pdf = new Dompdf($options);
        $pdf->loadHtml(view('documents.surat-perintah', ['sppd' => $sppd])->render());
        $pdf->setPaper('A4');
        $pdf->render();
        $this->document->finish($pdf->output());
    }

    public function failed(Throwable $error): void
    {
        $this->document->markFailed();
    }
}
