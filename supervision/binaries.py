"""Find server binaries where Debian puts them, not only on PATH.

Why: PostgreSQL's server binaries live in /usr/lib/postgresql/<major>/bin,
and php-fpm, nginx and mariadbd in /usr/sbin, which a non-root PATH lacks.
"""

from __future__ import annotations

import glob
import os
import re
import shutil

from supervision.processes import ServiceError

SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")
# The Debian package that ships each binary, for the error message.
PACKAGES = {
    "initdb": "postgresql", "postgres": "postgresql", "redis-server": "redis-server",
    "php-fpm": "php8.2-fpm", "php": "php8.2-cli", "nginx": "nginx",
    "mariadbd": "mariadb-server", "mariadb-install-db": "mariadb-server", "sshd": "openssh-server",
    "composer": "composer",
}


def _version_key(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path))


def find_binary(name: str) -> str:
    """Locate `name` on PATH, in the sbin directories, or as the newest versioned variant.

    Versioned variants: /usr/lib/postgresql/<major>/bin/<name> and `<name><x.y>`
    (php-fpm8.2), the newest first.
    """
    search = os.pathsep.join([os.environ.get("PATH", ""), *SBIN])
    found = shutil.which(name, path=search)
    if found:
        return found
    candidates = glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    for directory in ("/usr/bin", *SBIN):
        candidates += glob.glob(f"{directory}/{name}[0-9]*")
    if candidates:
        return max(candidates, key=_version_key)
    package = PACKAGES.get(name, name)
    raise ServiceError(f"{name} not found: install {package} (make bootstrap does, as root)")
