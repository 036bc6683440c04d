"""The shipped deploy/ files render for the embedded stack, and a missing line fails loudly."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reference_app import deployment
from reference_app.deployment import DeploymentError, replace_exactly, set_directives
from supervision import Program


def test_the_pool_keeps_every_production_setting_but_address_paths_and_children() -> None:
    pool = deployment.fpm_pool(9123, Path("/srv/release"), Path("/srv/logs"), 4, None)
    lines = {line.split("=", 1)[0].strip(): line.split("=", 1)[1].strip()
             for line in pool.splitlines() if "=" in line and not line.startswith(";")}
    assert lines["listen"] == "127.0.0.1:9123"
    assert lines["pm.max_children"] == "4" and lines["pm"] == "static"
    assert lines["pm.status_path"] == "/fpm-status" and lines["chdir"] == "/srv/release"
    assert "user" not in lines and "group" not in lines  # not root: no account switch
    assert lines["php_admin_value[error_log]"] == "/srv/logs/php-fpm-app.log"


def test_the_nginx_site_points_at_the_release_and_the_pool() -> None:
    site = deployment.nginx_site(8088, Path("/srv/release"), 9123)
    assert "listen 127.0.0.1:8088;" in site and "root /srv/release/public;" in site
    assert "server 127.0.0.1:9123;" in site
    assert "fastcgi_param HTTP_HOST $host:$server_port;" in site
    assert "keepalive" not in site.split("upstream")[1].split("}")[0]


def test_opcache_knob_appends_a_switch_after_the_shipped_settings() -> None:
    assert "opcache.enable = 0" not in deployment.opcache_ini(True)
    assert deployment.opcache_ini(False).rstrip().endswith("opcache.enable = 0")


def test_the_supervisor_program_runs_artisan_queue_work_from_the_release() -> None:
    program = Program.from_supervisor_conf(deployment.QUEUE_PROGRAM,
                                           {deployment.PRODUCTION_ROOT: "/srv/release"})
    assert program.argv[:3] == ("php", "/srv/release/artisan", "queue:work")
    assert program.autorestart and program.numprocs == 2


def test_a_shipped_file_without_the_line_to_change_is_an_error(tmp_path: Path) -> None:
    source = tmp_path / "pool.conf"
    with pytest.raises(DeploymentError, match=re.escape("no `listen = ...` line")):
        set_directives("[www]\npm = static\n", {"listen": "127.0.0.1:1"}, source)
    with pytest.raises(DeploymentError, match="expected `listen 80;`"):
        replace_exactly("server { listen 8080; }", {"listen 80;": "listen 1;"}, source)
