<?php

namespace App\Services;

/**
 * Counts the statements one HTTP request or one queued job runs and appends the count to
 * a file, one tab-separated line each: what it was (HTTP or JOB), its route or job class,
 * the count. The load lab estimates statements per request from the server's counters
 * alone; this is the truth its estimate is tested against. Off unless
 * ESPPD_STATEMENT_LOG names the file.
 */
class StatementTally
{
    private int $statements = 0;

    public function __construct(private string $path)
    {
    }

    public function count(): void
    {
        $this->statements++;
    }

    public function reset(): void
    {
        $this->statements = 0;
    }

    public function record(string $kind, string $name): void
    {
        file_put_contents($this->path, "{$kind}\t{$name}\t{$this->statements}\n", FILE_APPEND | LOCK_EX);
        $this->reset();
    }
}
