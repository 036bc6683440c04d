<?php

namespace App\Http\Middleware;

use App\Services\StatementTally;
use Closure;
use Illuminate\Http\Request;

/**
 * Records the statements the request ran, under its route (`GET sppd/{sppd}`), once
 * everything inside it, the session and the controller included, has run.
 */
class TallyStatements
{
    public function __construct(private StatementTally $tally)
    {
    }

    public function handle(Request $request, Closure $next)
    {
        $response = $next($request);
        $this->tally->record('HTTP', $request->method().' '.($request->route()?->uri() ?? $request->path()));

        return $response;
    }
}
