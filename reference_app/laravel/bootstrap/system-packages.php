<?php

/*
|--------------------------------------------------------------------------
| Framework From The Operating System
|--------------------------------------------------------------------------
|
| Debian packages Laravel 8 and dompdf with their own autoloaders on PHP's
| include_path, so Composer only builds the autoloader of the app's own
| classes ("require" stays empty) and loads this file first.
|
*/

require_once 'Illuminate/autoload.php';
require_once 'dompdf/autoload.php';
