<?php

namespace App\Http\Controllers;

use App\Services\MasterData;
use Illuminate\Http\JsonResponse;
use Illuminate\Http\Request;

class MasterDataController extends Controller
{
    /**
     * @return \Illuminate\View\View|\Illuminate\Http\JsonResponse
     */
    public function show(Request $request, MasterData $master, string $kind)
    {
        abort_unless(MasterData::exists($kind), 404);
        $rows = $master->rows($kind);
        if ($request->expectsJson()) {
            return new JsonResponse($rows);
        }

        return view('master.show', [
            'title' => MasterData::title($kind),
            'rows' => $rows,
            'columns' => $rows ? array_keys($rows[0]) : [],
        ]);
    }
}
