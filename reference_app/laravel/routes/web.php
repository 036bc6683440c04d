<?php

use App\Http\Controllers\ApprovalController;
use App\Http\Controllers\Auth\LoginController;
use App\Http\Controllers\DashboardController;
use App\Http\Controllers\DocumentController;
use App\Http\Controllers\ExportController;
use App\Http\Controllers\LaporanController;
use App\Http\Controllers\MasterDataController;
use App\Http\Controllers\MonthlyReportController;
use App\Http\Controllers\SppdController;
use Illuminate\Support\Facades\Route;

/*
|--------------------------------------------------------------------------
| Web Routes
|--------------------------------------------------------------------------
|
| The same paths as the Python reference app, so one set of load scenarios
| drives both. What a role may do is a gate (AuthServiceProvider::PERMISSIONS);
| what a user may do with one SPPD or file is a policy, checked here too.
|
*/

Route::middleware('guest')->group(function () {
    Route::get('/login', [LoginController::class, 'create'])->name('login');
    Route::post('/login', [LoginController::class, 'store']);
});

Route::post('/logout', [LoginController::class, 'destroy'])->name('logout');

Route::middleware('auth')->group(function () {
    Route::redirect('/', '/dashboard');

    Route::middleware('can:sppd.create')->group(function () {
        Route::get('/sppd/create', [SppdController::class, 'create'])->name('sppd.create');
        Route::post('/sppd', [SppdController::class, 'store'])->name('sppd.store');
        Route::post('/sppd/{sppd}/submit', [SppdController::class, 'submit'])
            ->middleware('can:submit,sppd')->name('sppd.submit');
    });

    Route::middleware('can:dashboard.view')->group(function () {
        Route::get('/dashboard', DashboardController::class)->name('dashboard');
        Route::get('/sppd', [SppdController::class, 'index'])->name('sppd.index');
        Route::get('/sppd/{sppd}', [SppdController::class, 'show'])
            ->middleware('can:view,sppd')->name('sppd.show');
        Route::get('/laporan', [LaporanController::class, 'index'])->name('laporan.index');
        Route::middleware('can:view,export')->group(function () {
            Route::get('/exports/{export}', [ExportController::class, 'show'])->name('exports.show');
            Route::get('/exports/{export}/download', [ExportController::class, 'download'])
                ->name('exports.download');
        });
        Route::middleware('can:view,document')->group(function () {
            Route::get('/documents/{document}', [DocumentController::class, 'show'])->name('documents.show');
            Route::get('/documents/{document}/download', [DocumentController::class, 'download'])
                ->name('documents.download');
        });
    });

    Route::middleware(['can:sppd.approve', 'can:approve,sppd'])->group(function () {
        Route::post('/approvals/{sppd}/approve', [ApprovalController::class, 'approve'])->name('approvals.approve');
        Route::post('/approvals/{sppd}/reject', [ApprovalController::class, 'reject'])->name('approvals.reject');
    });
    Route::get('/approvals', [ApprovalController::class, 'index'])->middleware('can:sppd.approve')
        ->name('approvals.index');

    Route::post('/laporan', [LaporanController::class, 'store'])->middleware('can:laporan.create')
        ->name('laporan.store');
    Route::post('/sppd/{sppd}/document', [DocumentController::class, 'store'])
        ->middleware(['can:documents.create', 'can:view,sppd'])->name('sppd.document');
    Route::get('/reports/monthly', MonthlyReportController::class)->middleware('can:reports.view')
        ->name('reports.monthly');
    Route::post('/exports', [ExportController::class, 'store'])->middleware('can:exports.create')
        ->name('exports.store');
    Route::get('/master/{kind}', [MasterDataController::class, 'show'])->middleware('can:master.view')
        ->name('master.show');
});
