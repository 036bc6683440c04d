"""A log line's signature: its level and message without values, or None for a line
that reports no problem.

Why: the stack's logs name what failed in its own words (Laravel's exception, PHP-FPM's
"server reached pm.max_children", nginx's "upstream timed out"), but each line carries
ids, times and literals; counted by signature, equal failures add up and a new kind
of failure stands out. Values, quoted literals and secrets never leave the host.

Formats: Laravel/Monolog, PHP-FPM's master log, PHP's error_log, nginx's error log,
PostgreSQL's (default prefix), MariaDB's and MySQL's error log, Redis's log, a Python
traceback's last line and Python logging's `LEVEL:` prefix. Lines below warning
(info, notice, debug) and continuation lines (stack frames) have no signature.
"""

from __future__ import annotations

import os
import re

MAX_SIGNATURE = 200
MAX_STATEMENT = 80
# ERROR:    Exception in ASGI application (Python logging's default format), often followed
# by a traceback whose last line names what failed.
PYTHON_LOGGING = re.compile(r"^(?P<level>CRITICAL|ERROR|WARNING):\s*(?P<message>.*)")
TRACEBACK = "Traceback (most recent call last):"
# A traceback's last line, its first at the margin: `psycopg.errors.LockNotAvailable: ...`.
RAISED = re.compile(r"^(?P<level>[A-Za-z_][\w.]*)(?::\s*(?P<message>.*))?$")
FORMATS = (
    # [2026-12-06 17:31:05] production.ERROR: message {"exception":"[object] (Cls(code: 0): ...
    re.compile(r"^\[[^\]]*\] [\w-]+\.(?P<level>EMERGENCY|ALERT|CRITICAL|ERROR|WARNING): "
               r"(?P<message>.*)"),
    # 2026/12/06 17:31:05 [error] 123#123: *45 upstream timed out (110: ...), client: ...
    re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(?P<level>emerg|alert|crit|error|warn)\] "
               r"\d+#\d+: (?:\*\d+ )?(?P<message>.*)"),
    # [06-Dec-2026 17:31:05] PHP Fatal error:  Allowed memory size ... (PHP's error_log)
    re.compile(r"^(?:\[[^\]]*\] )?PHP (?P<level>Fatal error|Parse error|Recoverable fatal "
               r"error|Warning):\s+(?P<message>.*)"),
    # [06-Dec-2026 17:31:05] WARNING: [pool www] server reached pm.max_children setting (5)
    re.compile(r"^\[[^\]]*\] (?P<level>ALERT|ERROR|WARNING): (?P<message>.*)"),
    # 2026-12-06 17:31:05.123 UTC [4242] ERROR:  canceling statement due to lock timeout
    re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[\d+\] (?:\S+ )?"
               r"(?P<level>ERROR|FATAL|PANIC|WARNING):\s+(?P<message>.*)"),
    # 2026-12-06 17:31:05 42 [Warning] Aborted connection 42 to db: ... (MariaDB, MySQL)
    re.compile(r"^\d{4}-\d\d-\d\d[ T][\d:.Z]+ \d+ \[(?P<level>ERROR|Error|Warning)\] "
               r"(?:\[MY-\d+\] \[\w+\] )?(?P<message>.*)"),
    # 4242:M 06 Dec 2026 17:31:05.123 # Background saving error (Redis: # is a warning)
    re.compile(r"^\d+:[XCSM] \d\d \w{3} \d{4} [\d:.]+ (?P<level>#) (?P<message>.*)"),
    # psycopg.errors.QueryCanceled: canceling statement due to statement timeout
    re.compile(r"^(?P<level>[A-Za-z_][\w.]*(?:Error|Exception|Timeout|Canceled|Exit)\w*): "
               r"(?P<message>.*)"),
    PYTHON_LOGGING,
)
# PHP-FPM's slowlog: a header per slow request, then its stack, innermost frame first.
SLOWLOG_HEADER = re.compile(r"^\[[^\]]*\]\s+\[pool [^\]]+\] pid \d+$")
SLOWLOG_FRAME = re.compile(r"^\[0x[0-9a-f]+\] (?P<call>\S.*)$")
# Monolog's context: the exception's class, then its JSON (and the stack trace) follow.
EXCEPTION = re.compile(r'"exception":"\[object\] \((?P<cls>[\w\\]+)\(code: (?P<code>[^)]*)\)')
CONTEXT = re.compile(r' (?:\{"|\[\] \[\]$|\{\} \[\]$)')
SQL_PART = re.compile(r"\((?:SQL|Connection: \w+, SQL): (?P<sql>.*?)\)?$")
# nginx appends the request's coordinates: client, server, request line, upstream, host.
NGINX_TAIL = re.compile(r", (?:client|server|request|upstream|host|referrer): .*$")
SECRETS = (
    (re.compile(r"(?i)\b(password|passwd|pwd|secret|token|api[_-]?key)\b(\s*[=:]\s*)[^\s,;&)]+"),
     r"\1\2***"),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^:/@\s]+):[^@\s]+@"), r"\1:***@"),
)
NUMBER = re.compile(r"(?<![\w\[])-?\d+(?:\.\d+)?(?![\w\]])|\b0x[0-9a-f]+\b", re.I)
QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
NAME = re.compile(r"[A-Za-z_][\w.]*")
STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.|'')*'")


def signature(line: str, source: str = "",
              formats: tuple[re.Pattern[str], ...] = FORMATS) -> str | None:
    """`source: LEVEL: message` with values as N and literals as ?, or None."""
    text = line.rstrip("\r\n")
    for pattern in formats:
        match = pattern.match(text)
        if match:
            break
    else:
        return None
    level, message = match["level"].replace("#", "warning"), match["message"] or ""
    exception = EXCEPTION.search(message)
    context = CONTEXT.search(message)
    if context:
        message = message[:context.start()]
    if exception:
        message = f"{exception['cls'].rsplit(chr(92), 1)[-1]}: {message}"
    statement = ""
    sql = SQL_PART.search(message)
    if sql:  # the statement with its values as ?, shortened
        message, statement = message[:sql.start()], _statement(sql["sql"])
    message = NGINX_TAIL.sub("", message)
    for pattern, replacement in SECRETS:
        message = pattern.sub(replacement, message)
    message = NUMBER.sub("N", QUOTED.sub(_value_out, message)) + statement
    # A label inside a metric name: no braces, one line.
    message = " ".join(message.translate(str.maketrans("{}", "()")).split())
    prefix = f"{os.path.basename(source)}: " if source else ""
    return f"{prefix}{level}: {message}"[:MAX_SIGNATURE]


def raised(line: str, source: str = "") -> str | None:
    """`source: ExceptionClass: message` for a traceback's last line, or None for one of
    its frames (indented) or a blank line."""
    return signature(line, source, (RAISED,))


def announces(line: str) -> bool:
    """A Python logging line, which may only announce the traceback that follows it."""
    return bool(PYTHON_LOGGING.match(line))


def _value_out(quoted: re.Match[str]) -> str:
    """A quoted name stays ('maxmemory', a database); a quoted value (an e-mail, an id,
    a request line) becomes ?."""
    text = quoted[0]
    return text if NAME.fullmatch(text[1:-1]) else f"{text[0]}?{text[0]}"


def _statement(sql: str) -> str:
    """The failed statement with its values as ? (identifiers kept: they name the table)."""
    text = NUMBER.sub("?", STRING_LITERAL.sub("?", sql))
    return f"(SQL: {' '.join(text.split())[:MAX_STATEMENT]})"


def slowlog_header(line: str) -> bool:
    """A PHP-FPM slowlog entry begins: its next frame line is where the request was."""
    return bool(SLOWLOG_HEADER.match(line.rstrip("\r\n")))


def slowlog_frame(line: str, source: str = "") -> str | None:
    """`source: slow request in: call() file:N`, the innermost frame of a slow request
    (what it waited in: curl_exec(), PDOStatement->execute(), Redis->get(), sleep()), or
    None for a line that is no frame."""
    match = SLOWLOG_FRAME.match(line.rstrip("\r\n"))
    if not match:
        return None
    prefix = f"{os.path.basename(source)}: " if source else ""
    call = NUMBER.sub("N", match["call"]).translate(str.maketrans("{}", "()"))
    return f"{prefix}slow request in: {call}"[:MAX_SIGNATURE]
