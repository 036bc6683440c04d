"""Log lines become signatures: the level and message of each server's format, without
values, literals or secrets; lines that report no problem have none."""

from __future__ import annotations

import pytest

from collectors.logsig import signature

LARAVEL = ('[2026-12-06 17:31:05] production.ERROR: OOM command not allowed when used memory '
           '> \'maxmemory\'. {"userId":5,"exception":"[object] (RedisException(code: 0): OOM '
           'command not allowed at /usr/share/php/Illuminate/Redis/Connections/'
           'PhpRedisConnection.php:520)')


@pytest.mark.parametrize(("line", "expected"), [
    (LARAVEL, "ERROR: RedisException: OOM command not allowed when used memory > 'maxmemory'."),
    ('[2026-12-06 17:31:05] production.ERROR: SQLSTATE[57014]: Query canceled: 7 ERROR:  '
     'canceling statement due to statement timeout (SQL: select * from "sppd" where "id" = 5 '
     "and nama = 'Budi') {\"userId\":3,\"exception\":\"[object] (Illuminate\\\\Database\\\\"
     'QueryException(code: 57014): SQLSTATE',
     'ERROR: QueryException: SQLSTATE[57014]: Query canceled: N ERROR: canceling statement due '
     'to statement timeout (SQL: select * from "sppd" where "id" = ? and nama = ?)'),
    ('2026/12/06 17:31:05 [error] 1234#1234: *567 upstream timed out (110: Connection timed '
     'out) while reading response header from upstream, client: 127.0.0.1, server: _, '
     'request: "GET /sppd/5 HTTP/1.1", upstream: "fastcgi://127.0.0.1:9000"',
     "error: upstream timed out (N: Connection timed out) while reading response header from "
     "upstream"),
    ("[06-Dec-2026 17:31:05] WARNING: [pool esppd] server reached pm.max_children setting (5), "
     "consider raising it",
     "WARNING: [pool esppd] server reached pm.max_children setting (N), consider raising it"),
    ("[06-Dec-2026 17:31:05] WARNING: [pool esppd] child 4242 exited on signal 9 (SIGKILL) "
     "after 12.3 seconds from start",
     "WARNING: [pool esppd] child N exited on signal N (SIGKILL) after N seconds from start"),
    ("2026-12-06 17:31:05.123 UTC [4242] esppd@esppd FATAL:  sorry, too many clients already",
     "FATAL: sorry, too many clients already"),
    ("2026-12-06 17:31:05 42 [Warning] Aborted connection 42 to db: 'esppd' user: 'esppd' "
     "host: 'localhost' (Got timeout reading communication packets)",
     "Warning: Aborted connection N to db: 'esppd' user: 'esppd' host: 'localhost' (Got "
     "timeout reading communication packets)"),
    ("4242:M 06 Dec 2026 17:31:05.123 # Background saving error",
     "warning: Background saving error"),
    ("psycopg.errors.QueryCanceled: canceling statement due to lock timeout",
     "psycopg.errors.QueryCanceled: canceling statement due to lock timeout"),
    ("[06-Dec-2026 17:31:05 UTC] PHP Fatal error:  Allowed memory size of 134217728 bytes "
     "exhausted (tried to allocate 20480 bytes) in /srv/app/Export.php on line 12",
     "Fatal error: Allowed memory size of N bytes exhausted (tried to allocate N bytes) in "
     "/srv/app/Export.php on line N"),
])
def test_each_format_gives_its_level_and_message_without_values(line: str,
                                                                 expected: str) -> None:
    assert signature(line) == expected


@pytest.mark.parametrize("line", [
    "[06-Dec-2026 17:31:05] NOTICE: [pool esppd] child 4243 started",
    "2026-12-06 17:31:05.123 UTC [4242] LOG:  checkpoint starting: time",
    "4242:M 06 Dec 2026 17:31:05.123 * Ready to accept connections tcp",
    "#0 /usr/share/php/Illuminate/Foundation/Application.php(12): handle()",
    '[2026-12-06 17:31:05] production.INFO: user signed in {"userId":5}',
    "",
])
def test_lines_that_report_no_problem_have_no_signature(line: str) -> None:
    assert signature(line) is None


def test_values_and_secrets_never_leave_the_host() -> None:
    found = signature("[2026-12-06 17:31:05] production.WARNING: cannot reach "
                      "redis://app:s3cret@10.0.0.7:6379 with password=hunter2 for "
                      "'budi@univ.ac.id' [] []", "/var/www/esppd/storage/logs/laravel.log")
    assert found is not None and found.startswith("laravel.log: WARNING: cannot reach")
    for secret in ("s3cret", "hunter2", "budi@univ.ac.id", "10.0.0.7"):
        assert secret not in found
    assert "{" not in found and "}" not in found
