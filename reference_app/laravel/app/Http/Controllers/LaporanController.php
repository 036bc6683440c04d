<?php

namespace App\Http\Controllers;

use App\Http\Requests\StoreLaporanRequest;
use App\Models\LaporanPerjalanan;
use App\Models\Sppd;
use App\Services\DashboardStatistics;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\Validation\ValidationException;
use Illuminate\View\View;

class LaporanController extends Controller
{
    public function __construct(private DashboardStatistics $statistics)
    {
    }

    /**
     * Trip reports (own, or all for finance) and the approved trips still owing one.
     */
    public function index(Request $request): View
    {
        $user = $request->user();

        return view('laporan.index', [
            'reports' => LaporanPerjalanan::with('user')
                ->when(! $user->can('laporan.view-all'), fn ($query) => $query->where('user_id', $user->id))
                ->orderByDesc('tanggal_laporan')->orderByDesc('id')
                ->paginate(config('esppd.page_size'), ['*'], 'page', $this->page($request)),
            'awaiting' => Sppd::with('tujuan')->where('user_id', $user->id)
                ->where('status', 'disetujui')->orderBy('tanggal_berangkat')->limit(20)->get(),
        ]);
    }

    /**
     * File the report of an approved trip; the trip is then done (selesai).
     */
    public function store(StoreLaporanRequest $request): RedirectResponse
    {
        $user = $request->user();
        $data = $request->validated();
        $sppd = Sppd::findOrFail($data['sppd_id']);
        $this->authorize('fileReport', $sppd);

        DB::transaction(function () use ($sppd, $user, $data) {
            // Only while it is still approved: the first report of a trip wins.
            if (Sppd::sameRow($sppd, 'disetujui')->update(['status' => 'selesai']) !== 1) {
                throw ValidationException::withMessages(['sppd_id' => 'Only an approved trip takes a report.'])
                    ->redirectTo(route('laporan.index'));
            }
            LaporanPerjalanan::create([
                'sppd_id' => $sppd->id,
                'user_id' => $user->id,
                'tanggal_laporan' => now()->toDateString(),
                'ringkasan' => $data['ringkasan'],
                'biaya_riil' => $data['biaya_riil'],
            ]);
        });
        $this->statistics->forget($sppd);

        return redirect()->route('laporan.index');
    }
}
