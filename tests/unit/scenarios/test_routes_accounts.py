from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.accounts import AccountPool, parse_sizes
from scenarios.routes import RouteMap


def test_default_routes_and_request_names() -> None:
    routes = RouteMap()
    assert routes.path("sppd_show", 42) == "/sppd/42"
    assert routes.name("sppd_show") == "/sppd/[id]"
    assert routes.find_all("sppd_id", '<tr data-sppd-id="7"><tr data-sppd-id="9">') == ["7", "9"]


def test_a_route_map_file_overrides_paths_fields_and_patterns(tmp_path: Path) -> None:
    path = tmp_path / "laravel.toml"
    path.write_text('[paths]\nsppd_show = "/perjalanan/{id}"\n[fields]\nmaksud = "keperluan"\n'
                    '[patterns]\nsppd_id = \'href="/perjalanan/(\\d+)"\'\n')
    routes = RouteMap.load(path)
    assert routes.path("sppd_show", 3) == "/perjalanan/3"
    assert routes.name("sppd_show") == "/perjalanan/[id]"
    assert routes.fields.maksud == "keperluan" and routes.fields.email == "email"
    assert routes.find_all("sppd_id", '<a href="/perjalanan/12">') == ["12"]


@pytest.mark.parametrize(("text", "message"), [
    ('[paths]\nnope = "/x"\n', "unknown paths key"),
    ('[extra]\na = 1\n', "unknown table"),
    ('[patterns]\nsppd_id = "(("\n', "patterns.sppd_id"),
])
def test_bad_route_maps_are_rejected_with_the_key(tmp_path: Path, text: str,
                                                  message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        RouteMap.load(path)


def test_accounts_are_distinct_across_workers_until_the_pool_wraps() -> None:
    taken = []
    for worker in range(3):
        pool = AccountPool.seeded({"dosen": 12})
        pool.worker_index, pool.worker_count = worker, 3
        taken += [pool.next("dosen").login for _ in range(4)]
    assert len(set(taken)) == 12
    pool = AccountPool.seeded({"atasan": 2})
    assert [pool.next("atasan").number for _ in range(3)] == [1, 2, 1]


def test_accounts_csv_and_pool_sizes(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("role,email,password\ndosen,a@x.id,pw1\natasan,b@x.id,pw2\n")
    pool = AccountPool.from_csv(path)
    assert pool.next("dosen").password == "pw1"
    with pytest.raises(LookupError, match="no keuangan accounts"):
        pool.next("keuangan")
    path.write_text("role,email,password\nrektor,,pw\n")
    with pytest.raises(ValueError, match=r"accounts.csv:2: need role, email and password"):
        AccountPool.from_csv(path)
    # any role names and any login column: the column is named as the login form's field
    path.write_text("role,nip,password\nkaprodi,197001010001,pw\ndekan,196501010001,pw\n")
    pool = AccountPool.from_csv(path)
    account = pool.next("kaprodi")
    assert (account.login, account.login_field) == ("197001010001", "nip")
    assert pool.missing(("kaprodi", "dekan", "dosen")) == ["dosen"]
    path.write_text("role,nip,email,password\ndosen,1,a@x.id,pw\n")
    with pytest.raises(ValueError, match="one login column"):
        AccountPool.from_csv(path)
    assert parse_sizes("dosen=60, atasan=5") == {"dosen": 60, "atasan": 5}
    with pytest.raises(ValueError, match="bad account pool"):
        parse_sizes("dosen=0")
