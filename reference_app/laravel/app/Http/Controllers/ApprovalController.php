<?php

namespace App\Http\Controllers;

use App\Http\Requests\RejectSppdRequest;
use App\Jobs\SendSppdNotification;
use App\Models\ApprovalLog;
use App\Models\Pagu;
use App\Models\Sppd;
use App\Models\User;
use App\Services\SppdNumbering;
use Illuminate\Http\RedirectResponse;
use Illuminate\Http\Request;
use Illuminate\Support\Facades\Cache;
use Illuminate\Support\Facades\DB;
use Illuminate\View\View;

class ApprovalController extends Controller
{
    /**
     * The unit's SPPD awaiting a decision, other than the head's own.
     */
    public function index(Request $request): View
    {
        $user = $request->user();
        $query = Sppd::where('unit_kerja_id', $user->unit_kerja_id)
            ->where('status', 'diajukan')
            ->where('user_id', '<>', $user->id)
            ->newestTripFirst();
        if (config('esppd.eager_loading')) {
            $query->with(Sppd::LIST_RELATIONS);
        }

        return view('sppd.index', [
            'title' => 'Persetujuan SPPD',
            'rows' => $query->paginate(config('esppd.page_size')),
            'status' => 'diajukan',
            'approvals' => true,
        ]);
    }

    /**
     * Approve: the letter gets its number and the unit's budget is charged.
     */
    public function approve(Request $request, Sppd $sppd, SppdNumbering $numbering): RedirectResponse
    {
        $this->authorize('view', $sppd);
        $this->authorize('approve', $sppd);
        $this->ensureAwaitingDecision($sppd);
        $year = $sppd->tanggal_berangkat->year;

        DB::transaction(function () use ($request, $sppd, $numbering, $year) {
            $number = $numbering->next($year);
            $this->decide($sppd, [
                'status' => 'disetujui',
                'nomor' => sprintf('%06d/SPPD/UN/%d', $number, $year),
            ], $request->user(), 'disetujui', null);
            Pagu::where('unit_kerja_id', $sppd->unit_kerja_id)->where('tahun', $year)
                ->increment('terpakai', $sppd->biaya);
        });

        return $this->decided($request->user(), $sppd, 'disetujui');
    }

    public function reject(RejectSppdRequest $request, Sppd $sppd): RedirectResponse
    {
        $this->authorize('view', $sppd);
        $this->ensureAwaitingDecision($sppd);

        DB::transaction(function () use ($request, $sppd) {
            $this->decide($sppd, ['status' => 'ditolak'], $request->user(), 'ditolak', $request->validated()['catatan']);
        });

        return $this->decided($request->user(), $sppd, 'ditolak');
    }

    private function ensureAwaitingDecision(Sppd $sppd): void
    {
        abort_unless(
            $sppd->status === 'diajukan',
            422,
            "This SPPD is not awaiting approval (status {$sppd->status})."
        );
    }

    /**
     * Write the decision if nobody decided first; otherwise roll back (409).
     *
     * @param  array<string, mixed>  $changes
     */
    private function decide(Sppd $sppd, array $changes, User $head, string $action, ?string $catatan): void
    {
        $changed = Sppd::sameRow($sppd, 'diajukan')->update($changes + [
            'approved_by' => $head->id,
            'approved_at' => now(),
            'updated_at' => now(),
        ]);
        abort_unless($changed === 1, 409, 'The SPPD changed meanwhile; reload and try again.');
        ApprovalLog::create([
            'sppd_id' => $sppd->id, 'user_id' => $head->id, 'action' => $action, 'catatan' => $catatan,
        ]);
    }

    private function decided(User $head, Sppd $sppd, string $action): RedirectResponse
    {
        Cache::tags(User::dashboardTags($sppd->user_id, $sppd->unit_kerja_id))->flush();
        SendSppdNotification::dispatch(
            $sppd->user_id,
            "sppd.{$action}",
            $sppd->id,
            "SPPD {$action}: {$sppd->maksud}",
            "SPPD ke {$sppd->tujuan->kota} {$action} oleh {$head->name}."
        );

        return redirect()->route('approvals.index');
    }
}
