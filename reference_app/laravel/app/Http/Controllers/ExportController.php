<?php

namespace App\Http\Controllers;

use App\Http\Controllers\Concerns\ShowsGeneratedFiles;
use App\Http\Requests\MonthRequest;
use App\Jobs\ExportMonthlyReport;
use App\Models\Export;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Symfony\Component\HttpFoundation\StreamedResponse;

class ExportController extends Controller
{
    use ShowsGeneratedFiles;

    /**
     * Queue the month-end .xlsx and send the user to its status page.
     */
    public function store(MonthRequest $request): RedirectResponse
    {
        $month = $request->month();
        $export = Export::create([
            'user_id' => $request->user()->id,
            'bulan' => $month->month,
            'tahun' => $month->year,
        ]);
        ExportMonthlyReport::dispatch($export);

        return redirect()->route('exports.show', $export);
    }

    /**
     * @return \Illuminate\View\View|\Illuminate\Http\JsonResponse
     */
    public function show(Request $request, Export $export)
    {
        return $this->showFile($request, $export, 'exports');
    }

    public function download(Export $export): StreamedResponse
    {
        return $this->downloadFile($export);
    }
}
