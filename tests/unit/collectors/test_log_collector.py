"""The log collector follows files from their end, counts error lines by signature each
sample, and keeps going through unfinished lines, rotation, new files and floods."""

from __future__ import annotations

from pathlib import Path

from collectors.logs import OTHER, TOP_SIGNATURES, LogCollector
from collectors.shell import LocalShell

FULL = "[06-Dec-2026 17:31:05] WARNING: [pool esppd] server reached pm.max_children setting (5)\n"
SIGNATURE = "php-fpm.log: WARNING: [pool esppd] server reached pm.max_children setting (N)"


def _errors(collector: LogCollector, ts: float) -> dict[str, float]:
    return {metric[len("log.errors{"):-1]: value for metric, value in
            collector.sample(ts).metrics if metric.startswith("log.errors{")}


def _followed(log: Path) -> LogCollector:
    """A collector following `log`, empty so far, from its end (its first sample taken)."""
    log.write_text("")
    collector = LogCollector(LocalShell(), (str(log),))
    collector.sample(1.0)
    return collector


def test_only_lines_written_after_the_start_count(tmp_path: Path) -> None:
    log = tmp_path / "php-fpm.log"
    log.write_text(FULL * 5)
    collector = LogCollector(LocalShell(), (str(tmp_path / "*.log"),))
    assert collector.check() == []
    assert _errors(collector, 1.0) == {}
    with log.open("a") as file:
        file.write(FULL * 3 + "[06-Dec-2026 17:31:06] NOTICE: ready\n")
    assert _errors(collector, 2.0) == {SIGNATURE: 3.0}
    assert _errors(collector, 3.0) == {SIGNATURE: 0.0}  # seen before: 0, not absent


def test_an_unfinished_line_waits_for_its_end(tmp_path: Path) -> None:
    log = tmp_path / "php-fpm.log"
    collector = _followed(log)
    with log.open("a") as file:
        file.write(FULL[:30])
    assert _errors(collector, 2.0) == {}
    with log.open("a") as file:
        file.write(FULL[30:])
    assert _errors(collector, 3.0) == {SIGNATURE: 1.0}


def test_a_rotated_or_truncated_file_is_read_from_the_top(tmp_path: Path) -> None:
    log = tmp_path / "php-fpm.log"
    log.write_text(FULL * 10)
    collector = LogCollector(LocalShell(), (str(log),))
    collector.sample(1.0)
    log.rename(tmp_path / "php-fpm.log.1")
    log.write_text(FULL * 2)  # a new file (another inode), shorter than the old offset
    assert _errors(collector, 2.0) == {SIGNATURE: 2.0}
    log.write_text(FULL)  # truncated in place
    assert _errors(collector, 3.0) == {SIGNATURE: 1.0}


def test_a_file_that_appears_later_is_read_whole(tmp_path: Path) -> None:
    collector = LogCollector(LocalShell(), (str(tmp_path / "laravel-*.log"),))
    assert collector.check() != []  # nothing matches yet: pre-flight says so
    collector.sample(1.0)
    (tmp_path / "laravel-2026-12-07.log").write_text(
        "[2026-12-07 00:00:01] production.ERROR: Connection refused [] []\n")
    collector._samples = 30  # the next sample expands the patterns again
    assert _errors(collector, 2.0) == {"laravel-2026-12-07.log: ERROR: Connection refused": 1.0}


def test_a_flood_of_distinct_messages_is_capped(tmp_path: Path) -> None:
    log = tmp_path / "php-fpm.log"
    collector = _followed(log)
    log.write_text("".join(f"[06-Dec-2026 17:31:05] ERROR: failure kind {chr(65 + i % 26)}"
                           f"{chr(65 + i // 26)}\n" for i in range(50)))
    errors = _errors(collector, 2.0)
    assert len(errors) == TOP_SIGNATURES + 1
    assert errors[OTHER] == 50 - TOP_SIGNATURES
    assert sum(errors.values()) == 50


def test_pre_flight_wants_exact_files_and_lets_patterns_wait(tmp_path: Path) -> None:
    (tmp_path / "php-fpm.log").write_text("")
    waiting = LogCollector(LocalShell(), (str(tmp_path / "php-fpm.log"),
                                          str(tmp_path / "worker-*.log")))
    assert waiting.check() == []  # no worker has started yet: its logs come later
    missing = LogCollector(LocalShell(), (str(tmp_path / "nginx-error.log"),))
    assert missing.check() == [f"log on local: cannot read {tmp_path}/nginx-error.log (is the "
                               "log there, and readable by the collecting user?)"]


def test_a_slow_request_is_counted_where_it_waited(tmp_path: Path) -> None:
    log = tmp_path / "php-fpm-slow.log"
    collector = _followed(log)
    entry = ("\n[06-Dec-2026 17:31:05]  [pool esppd] pid 4242\n"
             "script_filename = /srv/esppd/public/index.php\n"
             "[0x00007f1c2a813e40] curl_exec() /srv/esppd/app/Services/Sister.php:88\n"
             "[0x00007f1c2a813d10] fetch() /srv/esppd/app/Http/Controllers/SppdController.php:41\n")
    log.write_text(entry * 2)
    assert _errors(collector, 2.0) == {
        "php-fpm-slow.log: slow request in: curl_exec() /srv/esppd/app/Services/Sister.php:N": 2}


def test_a_traceback_is_counted_by_what_failed_not_by_its_announcement(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    collector = _followed(log)
    failure = ("ERROR:    Exception in ASGI application\n"
               "Traceback (most recent call last):\n"
               '  File "/srv/app/db.py", line 42, in fetch\n'
               "psycopg.errors.ReadOnlySqlTransaction: cannot execute INSERT in a read-only "
               "transaction\n")
    chained = ("\nDuring handling of the above exception, another exception occurred:\n\n"
               "Traceback (most recent call last):\n"
               '  File "/srv/app/main.py", line 7, in submit\n'
               "    raise SubmitFailed(order_id)\n"
               "app.SubmitFailed: 4242\n")
    log.write_text(failure * 2 + "WARNING:  pool 3 of 4 connections in use\n" + chained)
    assert _errors(collector, 2.0) == {
        "app.log: psycopg.errors.ReadOnlySqlTransaction: cannot execute INSERT in a "
        "read-only transaction": 2,
        "app.log: WARNING: pool N of N connections in use": 1,
        "app.log: app.SubmitFailed: N": 1}
