<?php

namespace App\Console;

use Illuminate\Foundation\Console\Kernel as ConsoleKernel;

class Kernel extends ConsoleKernel
{
    /**
     * The Artisan commands provided by the application (the framework's own suffice).
     *
     * @var array<int, class-string>
     */
    protected $commands = [];
}
