<?php

namespace App\Database;

use Illuminate\Database\Connectors\PostgresConnector as BaseConnector;

/**
 * Sends the session settings in the connection's startup packet instead of as
 * statements after connecting.
 *
 * Laravel 8 runs `set names`, `set search_path` and `set application_name` each
 * time it opens a connection, and with persistent connections that is every
 * request: three server-side prepares, executions and deallocations before the
 * page's first query (about a tenth of an eSPPD page's CPU, measured). libpq
 * takes the same settings as connection parameters, which is what Laravel 10
 * does for application_name.
 */
class PostgresConnector extends BaseConnector
{
    /**
     * @param  string|null  $applicationName  replaces the configured application_name
     */
    public function __construct(private ?string $applicationName = null)
    {
    }

    /**
     * @param  array  $config
     * @return string
     */
    protected function getDsn(array $config)
    {
        $settings = [];

        if (isset($config['charset'])) {
            $settings[] = '-c client_encoding='.$config['charset'];
        }

        if (isset($config['schema'])) {
            $settings[] = '-c search_path='.implode(',', (array) $config['schema']);
        }

        $dsn = parent::getDsn($config);

        if ($settings !== []) {
            $dsn .= ";options='".implode(' ', $settings)."'";
        }

        $applicationName = $this->applicationName ?? $config['application_name'] ?? null;

        if ($applicationName !== null) {
            $dsn .= ";application_name='".$applicationName."'";
        }

        return $dsn;
    }

    /**
     * Sent in the startup packet (getDsn).
     *
     * @param  \PDO  $connection
     * @param  array  $config
     * @return void
     */
    protected function configureEncoding($connection, $config)
    {
    }

    /**
     * Sent in the startup packet (getDsn).
     *
     * @param  \PDO  $connection
     * @param  array  $config
     * @return void
     */
    protected function configureSchema($connection, $config)
    {
    }

    /**
     * Sent in the startup packet (getDsn).
     *
     * @param  \PDO  $connection
     * @param  array  $config
     * @return void
     */
    protected function configureApplicationName($connection, $config)
    {
    }
}
