<?php

/*
|--------------------------------------------------------------------------
| Framework From The Operating System
|--------------------------------------------------------------------------
|
| Debian packages Laravel 8 and dompdf with their own autoloaders on PHP's
| include_path, so Composer only builds the autoloader of the app's own
| classes ("require" stays empty) and loads this file first. composer.json
| also lists the framework's folders under "classmap": `dump-autoload -o`
| then maps every class to its file once, and Composer's loader (prepended)
| answers before the chain of per-package Debian autoloaders is walked. The
| profile of an eSPPD page spent about a tenth of its CPU in that chain.
| Carbon stays out: it ships strong- and weak-typed twins of some classes and
| picks one at runtime, which a static map would get wrong.
|
*/

require_once 'Illuminate/autoload.php';
require_once 'dompdf/autoload.php';
