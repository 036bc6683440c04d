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
        $year = (int) now()->year;
        $pending = null;
        if ($user->can('sppd.approve')) {
            $pending = Sppd::where('unit_kerja_id', $user->unit_kerja_id)
                ->where('status', 'diajukan')
                ->where('user_id', '<>', $user->id)
                ->count();
        }

        return view('dashboard', [
            'year' => $year,
            'stats' => $statistics->forUser($user, $year),
            'trend' => $statistics->universityTrend($year),
            'pending' => $pending,
            'latest' => Sppd::with('tujuan')->where('user_id', $user->id)
                ->newestTripFirst()->limit(5)->get(),
        ]);
    }
}
