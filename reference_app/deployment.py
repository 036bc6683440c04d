"""The production config files in deploy/, with the few changes the embedded stack needs.

Why: the PHP-FPM pool, nginx site, OPcache ini, Supervisor program and the
database settings that production uses are the ones the embedded stack runs,
so every campaign tests them. Only addresses, paths and knob-driven values
change, and each change names a line that must exist in the shipped file: an
edit that removes it fails loudly instead of quietly running something else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
FPM_POOL = DEPLOY / "php-fpm" / "esppd.conf"
NGINX_SITE = DEPLOY / "nginx" / "esppd.conf"
OPCACHE_INI = DEPLOY / "php" / "opcache.ini"
QUEUE_PROGRAM = DEPLOY / "supervisor" / "esppd-worker.conf"
POSTGRES_CONF = DEPLOY / "postgresql" / "esppd.conf"
MARIADB_CNF = DEPLOY / "mariadb" / "esppd.cnf"

# Where the shipped files put the app; the stack substitutes its release directory.
PRODUCTION_ROOT = "/var/www/esppd"


class DeploymentError(ValueError):
    """A shipped file no longer has a line the embedded stack must change."""


def set_directives(text: str, values: Mapping[str, str | None], source: Path) -> str:
    """Set `key = value` lines of an ini-style file (PHP-FPM pools); None deletes the line.

    Every key must already be in the file, so the shipped file stays the
    complete description of the pool.
    """
    lines = text.splitlines()
    for key, value in values.items():
        pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
        matches = [index for index, line in enumerate(lines) if pattern.match(line)]
        if not matches:
            raise DeploymentError(f"{source}: no `{key} = ...` line to set")
        for index in matches:
            lines[index] = "" if value is None else f"{key} = {value}"
    return "\n".join(lines) + "\n"


def replace_exactly(text: str, replacements: Mapping[str, str], source: Path) -> str:
    """Replace literal snippets (nginx directives), each of which must occur."""
    for old, new in replacements.items():
        if old not in text:
            raise DeploymentError(f"{source}: expected `{old}` in the shipped file")
        text = text.replace(old, new)
    return text


def fpm_pool(port: int, root: Path, log_dir: Path, max_children: int,
             run_as: str | None) -> str:
    """The shipped pool on a loopback port, with this release's paths and logs."""
    return set_directives(FPM_POOL.read_text(), {
        "listen": f"127.0.0.1:{port}",
        "user": run_as,
        "group": run_as,
        "pm.max_children": str(max_children),
        "chdir": str(root),
        "slowlog": str(log_dir / "php-fpm-slow.log"),
        "php_admin_value[error_log]": str(log_dir / "php-fpm-app.log"),
    }, FPM_POOL)


def nginx_site(port: int, root: Path, fpm_port: int) -> str:
    return replace_exactly(NGINX_SITE.read_text(), {
        "listen 80;": f"listen 127.0.0.1:{port};",
        f"root {PRODUCTION_ROOT}/public;": f"root {root}/public;",
        "server 127.0.0.1:9000;": f"server 127.0.0.1:{fpm_port};",
    }, NGINX_SITE)


def opcache_ini(enabled: bool) -> str:
    """The shipped OPcache settings; the opcache knob appends `opcache.enable = 0`."""
    text = OPCACHE_INI.read_text()
    if not enabled:
        text += "\n; The embedded stack's opcache knob: compile every file on every request.\n" \
                "opcache.enable = 0\n"
    return text
