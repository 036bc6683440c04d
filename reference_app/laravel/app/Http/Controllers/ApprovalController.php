<?php

namespace App\Http\Controllers;

use App\Http\Requests\RejectSppdRequest;
use App\Jobs\SendSppdNotification;
use App\Models\ApprovalLevel;
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
 * The approvers' decisions, level by level. Who may decide is SppdPolicy::approve,
 * checked by the routes; whether the SPPD has reached the approver's level, here.
 */
class ApprovalController extends Controller
{
    public function __construct(private DashboardStatistics $statistics)
    {
    }

    /**
     * The SPPD waiting for the approver's level, other than their own.
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
     * Approve at the approver's level. Below the last level the SPPD climbs to the next
     * one, whose approver is told; at the last level the letter gets its number and the
     * unit's budget is charged.
     */
    public function approve(Request $request, Sppd $sppd, SppdNumbering $numbering): RedirectResponse
    {
        $approver = $request->user();
        $level = $this->levelAwaited($approver, $sppd);
        $next = $level->next();

        if ($next !== null) {
            DB::transaction(function () use ($sppd, $approver, $level) {
                $this->decide($sppd, $approver, $level, 'disetujui', null, ['approval_level' => $level->level]);
            });

            return $this->forwarded($approver, $sppd, $next);
        }

        $year = $sppd->tanggal_berangkat->year;
        DB::transaction(function () use ($sppd, $approver, $level, $numbering, $year) {
            $number = $numbering->next($year);
            $this->decide($sppd, $approver, $level, 'disetujui', null, [
                'status' => 'disetujui',
                'approval_level' => $level->level,
                'nomor' => sprintf('%06d/SPPD/UN/%d', $number, $year),
                'approved_by' => $approver->id,
                'approved_at' => now(),
            ]);
            Pagu::where('unit_kerja_id', $sppd->unit_kerja_id)
                ->where('tahun', $year)
                ->increment('terpakai', $sppd->biaya);
        });

        return $this->decided($approver, $sppd, 'disetujui');
    }

    /**
     * Reject at any level: the SPPD leaves the chain.
     */
    public function reject(RejectSppdRequest $request, Sppd $sppd): RedirectResponse
    {
        $approver = $request->user();
        $level = $this->levelAwaited($approver, $sppd);

        DB::transaction(function () use ($request, $sppd, $approver, $level) {
            $this->decide($sppd, $approver, $level, 'ditolak', $request->validated()['catatan'], [
                'status' => 'ditolak',
                'approved_by' => $approver->id,
                'approved_at' => now(),
            ]);
        });

        return $this->decided($approver, $sppd, 'ditolak');
    }

    /**
     * The approver's level, if the SPPD waits for exactly that level (422 otherwise).
     */
    private function levelAwaited(User $approver, Sppd $sppd): ApprovalLevel
    {
        abort_unless($sppd->status === 'diajukan', 422, "This SPPD is not awaiting approval (status {$sppd->status}).");
        $level = $approver->approvalLevel();
        abort_unless(
            $level !== null && $sppd->approval_level === $level->level - 1,
            422,
            "This SPPD is not awaiting your level (it has {$sppd->approval_level} approval(s))."
        );

        return $level;
    }

    /**
     * Write the decision if nobody decided first; otherwise roll back (409).
     *
     * @param  array<string, mixed>  $changes
     */
    private function decide(
        Sppd $sppd,
        User $approver,
        ApprovalLevel $level,
        string $action,
        ?string $catatan,
        array $changes
    ): void {
        $changed = Sppd::sameRow($sppd, 'diajukan')
            ->where('approval_level', $level->level - 1)
            ->update($changes);
        abort_unless($changed === 1, 409, 'The SPPD changed meanwhile; reload and try again.');
        ApprovalLog::create([
            'sppd_id' => $sppd->id,
            'user_id' => $approver->id,
            'action' => $action,
            'catatan' => $catatan,
            'level' => $level->level,
        ]);
    }

    /**
     * Approved below the last level: the next level's approver is told on the queue.
     */
    private function forwarded(User $approver, Sppd $sppd, ApprovalLevel $next): RedirectResponse
    {
        $this->statistics->forget($sppd);
        $nextApprover = $next->approverFor($sppd);
        if ($nextApprover !== null) {
            $sppd->load('tujuan');
            SendSppdNotification::dispatch(
                $nextApprover->id,
                'sppd.diajukan',
                $sppd->id,
                "SPPD menunggu persetujuan: {$sppd->maksud}",
                "Perjalanan ke {$sppd->tujuan->kota} disetujui oleh {$approver->name}; menunggu Anda."
            );
        }

        return redirect()->route('approvals.index');
    }

    /**
     * A final decision: the traveller is told on the queue.
     */
    private function decided(User $approver, Sppd $sppd, string $status): RedirectResponse
    {
        $this->statistics->forget($sppd);
        $sppd->load('tujuan');
        SendSppdNotification::dispatch(
            $sppd->user_id,
            "sppd.{$status}",
            $sppd->id,
            "SPPD {$status}: {$sppd->maksud}",
            "SPPD ke {$sppd->tujuan->kota} {$status} oleh {$approver->name}."
        );

        return redirect()->route('approvals.index');
    }
}
