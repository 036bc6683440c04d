<?php

namespace App\Http\Controllers;

use Illuminate\Foundation\Auth\Access\AuthorizesRequests;
use Illuminate\Foundation\Validation\ValidatesRequests;
use Illuminate\Http\Request;
use Illuminate\Routing\Controller as BaseController;

class Controller extends BaseController
{
    use AuthorizesRequests;
    use ValidatesRequests;

    /**
     * Deeper pages are refused: their OFFSET makes the database walk every row before them.
     */
    protected const MAX_PAGE = 10_000;

    /**
     * The requested page of a list, within 1..MAX_PAGE.
     */
    protected function page(Request $request): int
    {
        return max(1, min((int) $request->query('page', '1'), self::MAX_PAGE));
    }
}
