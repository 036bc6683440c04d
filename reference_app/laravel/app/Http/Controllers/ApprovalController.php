<?php

namespace App\Http\Controllers;

use App\Http\Requests\RejectSppdRequest;
use App\Jobs\SendSppdNotification;
use App\Models\ApprovalLog;
use App\Models\Pagu;
use App\Models\Sppd;
use App\Models\User;
use App\Services\DashboardStatistics;
use App\Services\SppdNumbering;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\DB;
use Illuminate\View\View;

/**
 * The unit head's decisions. Who may decide is SppdPolicy::approve, checked by the routes.
 */
class ApprovalController extends Controller
{
    public function __construct(private DashboardStatistics $statistics)
    {
    }

    /**
     * The unit's SPPD awaiting a decision, other than the head's own.
     */
    public function index(Request $request): View
    {
        return view('sppd.index', [
            'title' => 'Persetujuan SPPD',
            'rows' => Sppd::awaitingDecisionBy($request->user())
                ->withListRelations()
                ->newestTripFirst()
                ->paginate(config('esppd.page_size'), ['*'], 'page', $this->page($request)),
            'status' => 'diajukan',
            'approvals' => true,
        ]);
    }

    /**
     * Approve: the letter gets its number and the unit's budget is charged.
     */
    public function approve(Request $request, Sppd $sppd, SppdNumbering $numbering): RedirectResponse
    {
        $this->ensureAwaitingDecision($sppd);
        $year = $sppd->tanggal_berangkat->year;

        DB::transaction(function () use ($request, $sppd, $numbering, $year) {
            $number = $numbering->next($year);
            $this->decide($sppd, $request->user(), 'disetujui', null, [
                'nomor' => sprintf('%06d/SPPD/UN/%d', $number, $year),
            ]);
            Pagu::where('unit_kerja_id', $sppd->unit_kerja_id)
                ->where('tahun', $year)
                ->increment('terpakai', $sppd->biaya);
        });

        return $this->decided($request->user(), $sppd, 'disetujui');
    }

    public function reject(RejectSppdRequest $request, Sppd $sppd): RedirectResponse
    {
        $this->ensureAwaitingDecision($sppd);

        DB::transaction(function () use ($request, $sppd) {
            $this->decide($sppd, $request->user(), 'ditolak', $request->validated()['catatan']);
        });

        return $this->decided($request->user(), $sppd, 'ditolak');
    }

    private function ensureAwaitingDecision(Sppd $sppd): void
    {
        abort_unless($sppd->status === 'diajukan', 422, "This SPPD is not awaiting approval (status {$sppd->status}).");
    }

    /**
     * Write the decision if nobody decided first; otherwise roll back (409).
     *
     * @param  array<string, mixed>  $changes
     */
    private function decide(Sppd $sppd, User $head, string $status, ?string $catatan, array $changes = []): void
    {
        $changed = Sppd::sameRow($sppd, 'diajukan')->update($changes + [
            'status' => $status,
            'approved_by' => $head->id,
            'approved_at' => now(),
        ]);
        abort_unless($changed === 1, 409, 'The SPPD changed meanwhile; reload and try again.');
        ApprovalLog::create([
            'sppd_id' => $sppd->id,
            'user_id' => $head->id,
            'action' => $status,
            'catatan' => $catatan,
        ]);
    }

    private function decided(User $head, Sppd $sppd, string $status): RedirectResponse
    {
        $this->statistics->forget($sppd);
        $sppd->load('tujuan');
        SendSppdNotification::dispatch(
            $sppd->user_id,
            "sppd.{$status}",
            $sppd->id,
            "SPPD {$status}: {$sppd->maksud}",
            "SPPD ke {$sppd->tujuan->kota} {$status} oleh {$head->name}."
        );

        return redirect()->route('approvals.index');
    }
}
