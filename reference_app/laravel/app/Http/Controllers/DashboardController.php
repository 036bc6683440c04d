<?php

namespace App\Http\Controllers;

use App\Models\Sppd;
use App\Services\DashboardStatistics;
use Illuminate\Http\Request;
use Illuminate\View\View;

class DashboardController extends Controller
{
    public function __invoke(Request $request, DashboardStatistics $statistics): View
    {
        $user = $request->user();
        $year = now()->year;

        return view('dashboard', [
            'user' => $user,
            'year' => $year,
            'stats' => $statistics->forUser($user, $year),
            'trend' => $statistics->universityTrend($year),
            'pending' => $user->approvalLevel() !== null ? Sppd::awaitingDecisionBy($user)->count() : null,
            'latest' => Sppd::with('tujuan')->where('user_id', $user->id)
                ->newestTripFirst()->limit(5)->get(),
        ]);
    }
}
