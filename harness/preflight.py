"""Pre-flight: every reason a campaign would fail, found before anything starts.

Each problem is one line saying what to fix. Nothing here changes state.
"""

from __future__ import annotations

import glob
import ipaddress
import re
import socket
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import requests

from harness.config import CampaignConfig, parse_address
from reference_app.approvals import check_chain
from reference_app.client import EsppdClient
from scenarios.accounts import SEEDED_ROLES, AccountPool, login_roles
from scenarios.routes import RouteMap
from supervision import ServiceError, find_binary

TIMEOUT_S = 10


class PreflightError(RuntimeError):
    """One or more pre-flight problems; str() has one line per problem."""


def _raise_if(problems: list[str]) -> None:
    if problems:
        raise PreflightError("\n".join(problems))


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def check_static(config: CampaignConfig) -> None:
    """What can be checked without starting anything: binaries, files, keys."""
    problems: list[str] = []
    target = config.target
    if target.kind == "embedded":
        binaries = ["redis-server"]
        binaries += ["mariadbd", "mariadb-install-db"] if target.db == "mariadb" \
            else ["initdb", "postgres"]
        if target.app == "laravel":
            binaries += ["php", "php-fpm", "nginx", "composer"]
        for binary in binaries:
            try:
                find_binary(binary)
            except ServiceError as error:
                problems.append(str(error))
        if target.db == "postgresql" and \
                not glob.glob("/usr/share/postgresql/*/extension/pg_stat_statements.control"):
            problems.append("pg_stat_statements is not installed: install postgresql-contrib")
    for label, path in (("target.route_map", config.target.route_map),
                        ("target.accounts", config.target.accounts),
                        ("load.locustfile", config.load.locustfile)):
        if path is not None and not Path(path).is_file():
            problems.append(f"{label}: {path} does not exist")
    if config.target.route_map and Path(config.target.route_map).is_file():
        try:
            routes = RouteMap.load(config.target.route_map)
            if target.kind == "embedded":  # the embedded stack is seeded with its chain
                check_chain(routes.approver_roles)
        except ValueError as error:
            problems.append(f"target.route_map: {error}")
    if config.target.accounts and Path(config.target.accounts).is_file():
        try:
            AccountPool.from_csv(config.target.accounts)
        except ValueError as error:
            problems.append(str(error))
    for index, host in enumerate(config.distribution.hosts):
        if host.key is not None and not Path(host.key).expanduser().is_file():
            problems.append(f"distribution.hosts[{index}].key: {host.key} does not exist")
        if not is_loopback(host.host) and config.target.kind == "embedded":
            problems.append(f"distribution.hosts[{index}]: the embedded stack listens on "
                            f"127.0.0.1 only, so workers on {host.host} cannot reach it; use a "
                            "URL target for remote workers")
        if not is_loopback(host.host) and is_loopback(config.distribution.master_host):
            problems.append(f"distribution.master_host: workers on {host.host} cannot reach "
                            f"the master on {config.distribution.master_host}; set it to an "
                            "address of this machine they can reach")
    for label, address in (("live.web", config.live.web),
                            ("live.prometheus", config.live.prometheus)):
        if address is not None:
            problem = cannot_listen(*parse_address(address))
            if problem:
                problems.append(f"{label}: cannot listen on {address}: {problem}")
    _raise_if(problems)


def cannot_listen(host: str, port: int) -> str | None:
    """Why a server could not listen on host:port (in use, no such address), or None."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        return error.strerror or str(error)
    return None


def check_embedded_target(url: str, roles: Iterable[str]) -> None:
    """The reference app answers and a seeded account of every role logs in."""
    problems = []
    for index, role in enumerate(roles):
        client = EsppdClient(url)
        try:
            if index == 0 and client.get("/health").json().get("status") != "ok":
                problems.append(f"the embedded app at {url} is unhealthy")
            login = client.login(role, 1)
        except (requests.RequestException, ValueError) as error:
            raise PreflightError(f"the embedded app at {url} does not answer: {error}") from None
        landed = client.location_path(login) if login.status_code == 302 else ""
        if login.status_code != 302 or landed == "/login":
            problems.append(f"login as {role} 1 failed (HTTP {login.status_code}"
                            + (", sent back to the login page)" if landed else ")"))
    _raise_if(problems)


def check_target(config: CampaignConfig, url: str) -> None:
    """A remote eSPPD answers on its login page, and, with target.accounts, an account of
    every role logs in (every user class runs: one without accounts would die mid-run).
    With your own locustfile, whose flows the harness does not know: the target answers."""
    if config.load.locustfile is not None:
        try:
            requests.get(url, timeout=TIMEOUT_S, allow_redirects=False)
        except requests.RequestException as error:
            raise PreflightError(f"target {url} is unreachable: {type(error).__name__}") \
                from None
        return
    routes = RouteMap.load(config.target.route_map)
    try:
        page = requests.get(url + routes.path("login"), timeout=TIMEOUT_S)
    except requests.RequestException as error:
        raise PreflightError(f"target {url} is unreachable: {type(error).__name__}") from None
    if page.status_code != 200:
        raise PreflightError(f"target {url}{routes.path('login')} answered HTTP "
                             f"{page.status_code}; check target.url and the route map")
    if not config.target.accounts:
        return
    pool = AccountPool.from_csv(config.target.accounts)
    problems = []
    for role in login_roles(routes.approver_roles):
        try:
            account = pool.next(role)
        except LookupError:
            problems.append(f"target.accounts has no {role} account: the {role} users could "
                            "not log in (add role,email,password rows)")
            continue
        problem = _login_problem(url, routes, account.login, account.password)
        if problem:
            problems.append(problem)
    _raise_if(problems)


def check_accounts(config: CampaignConfig, user_classes: Iterable[type]) -> None:
    """Every role a running User class logs in as (its `role`, or its `account_roles`
    under the route map) has accounts: in target.accounts, or the embedded seed's roles.
    A class without any would fail at its first login, mid-run."""
    routes = RouteMap.load(config.target.route_map)
    roles = tuple(sorted({role for cls in user_classes for role in (
        cls.account_roles(routes) if hasattr(cls, "account_roles")
        else (getattr(cls, "role", ""),)) if role}))
    if config.target.accounts:
        missing = AccountPool.from_csv(config.target.accounts).missing(roles)
        where = f"add rows to {config.target.accounts}"
    elif config.target.kind == "embedded":
        missing = [role for role in roles if role not in SEEDED_ROLES]
        where = f"the embedded seed has {', '.join(SEEDED_ROLES)}; give target.accounts"
    else:
        return
    if missing:
        raise PreflightError(f"no account of role {', '.join(missing)}, which the user "
                             f"classes log in as: {where}")


def _login_problem(url: str, routes: RouteMap, email: str, password: str) -> str | None:
    """Why this account cannot log in (judged by where the login lands), or None."""
    session = requests.Session()
    try:
        page = session.get(url + routes.path("login"), timeout=TIMEOUT_S)
        match = re.search(routes.patterns.csrf_field, page.text)
        fields = routes.fields
        response = session.post(url + routes.path("login"), timeout=TIMEOUT_S,
                                allow_redirects=False,
                                data={fields.token: match.group(1) if match else "",
                                      fields.email: email, fields.password: password})
    except requests.RequestException as error:
        return f"login as {email} on {url}: {type(error).__name__}"
    landed = urlsplit(response.headers.get("location") or "").path
    if response.status_code != 302 or landed == routes.path("login"):
        return (f"login as {email} on {url} failed (HTTP {response.status_code}"
                + (", sent back to the login page" if landed else "") + "); check target.accounts")
    return None
