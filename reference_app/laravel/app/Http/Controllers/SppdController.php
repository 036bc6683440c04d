<?php

namespace App\Http\Controllers;

use App\Http\Requests\SppdFilterRequest;
use App\Http\Requests\StoreSppdRequest;
use App\Jobs\SendSppdNotification;
use App\Models\ApprovalLevel;
use App\Models\ApprovalLog;
use App\Models\Sppd;
use App\Services\DashboardStatistics;
use App\Services\MasterData;
use App\Services\SppdNumbering;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\View\View;

class SppdController extends Controller
{
    public function __construct(private DashboardStatistics $statistics)
    {
    }

    /**
     * The SPPD the user may see, newest trip first, optionally filtered.
     */
    public function index(SppdFilterRequest $request): View
    {
        $filters = $request->validated();
        $rows = Sppd::visibleTo($request->user())
            ->withListRelations()
            ->when($filters['status'] ?? null, fn ($query, $status) => $query->where('status', $status))
            ->when($filters['dari'] ?? null, fn ($query, $day) => $query->where('tanggal_berangkat', '>=', $day))
            ->when($filters['sampai'] ?? null, fn ($query, $day) => $query->where('tanggal_berangkat', '<=', $day))
            ->newestTripFirst()
            ->paginate(config('esppd.page_size'), ['*'], 'page', $this->page($request))
            ->withQueryString();

        return view('sppd.index', [
            'title' => 'Daftar SPPD',
            'rows' => $rows,
            'status' => $filters['status'] ?? '',
            'approvals' => false,
        ]);
    }

    public function create(MasterData $master): View
    {
        return view('sppd.create', [
            'tujuan' => $master->rows('tujuan'),
            'transportasi' => $master->rows('transportasi'),
        ]);
    }

    /**
     * Save a draft; without a cost, it is the daily allowance times the days away.
     */
    public function store(StoreSppdRequest $request, MasterData $master): RedirectResponse
    {
        $user = $request->user();
        $data = $request->validated();
        if (($data['biaya'] ?? null) === null) {
            $tujuan = collect($master->rows('tujuan'))->firstWhere('id', (int) $data['tujuan_id']);
            $data['biaya'] = (int) $tujuan['uang_harian'] * $request->tripDays();
        }
        $sppd = Sppd::create($data + ['user_id' => $user->id, 'unit_kerja_id' => $user->unit_kerja_id]);
        $this->statistics->forget($sppd);

        return redirect()->route('sppd.show', $sppd);
    }

    public function show(Request $request, Sppd $sppd): View
    {
        $sppd->load([
            ...Sppd::LIST_RELATIONS,
            'approvalLogs.user',
            'laporan',
            'documents' => fn ($query) => $query->latest('id')->limit(5),
        ]);

        return view('sppd.show', [
            'sppd' => $sppd,
            'canApprove' => $sppd->status === 'diajukan'
                && $sppd->approval_level + 1 === $request->user()->approvalLevel()?->level
                && $request->user()->can('approve', $sppd),
        ]);
    }

    /**
     * Draft -> diajukan, with an agenda number; the chain's first approver is told on the queue.
     */
    public function submit(Request $request, Sppd $sppd, SppdNumbering $numbering): RedirectResponse
    {
        abort_unless($sppd->status === 'draft', 422, "Only a draft can be submitted (status is {$sppd->status}).");
        $user = $request->user();

        DB::transaction(function () use ($sppd, $user, $numbering) {
            $changed = Sppd::sameRow($sppd, 'draft')->update([
                'status' => 'diajukan',
                'nomor_agenda' => $numbering->next($sppd->tanggal_berangkat->year),
            ]);
            // Someone else won: roll back, which gives the agenda number back.
            abort_unless($changed === 1, 409, 'The SPPD changed meanwhile; reload and try again.');
            ApprovalLog::create(['sppd_id' => $sppd->id, 'user_id' => $user->id, 'action' => 'diajukan']);
        });

        $this->statistics->forget($sppd);
        $head = ApprovalLevel::lowest()->approverFor($sppd);
        if ($head !== null) {
            $sppd->load('tujuan');
            SendSppdNotification::dispatch(
                $head->id,
                'sppd.diajukan',
                $sppd->id,
                "SPPD baru menunggu persetujuan: {$sppd->maksud}",
                "{$user->name} mengajukan perjalanan ke {$sppd->tujuan->kota}."
            );
        }

        return redirect()->route('sppd.show', $sppd);
    }
}
