from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.accounts import AccountPool, login_roles, parse_sizes
from scenarios.rota import ApproverRota
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


def test_approval_levels_default_to_one_unit_head() -> None:
    routes = RouteMap()
    assert routes.approver_roles == ("atasan",)
    level = routes.for_level(routes.approval_levels[0])
    assert level.name("approve") == "/approvals/[id]/approve"  # one level: names unchanged


def test_approval_levels_carry_their_role_and_their_own_paths(tmp_path: Path) -> None:
    path = tmp_path / "levels.toml"
    path.write_text('[[approval_levels]]\nrole = "kaprodi"\n'
                    '[[approval_levels]]\nrole = "dekan"\napprovals = "/dekan/inbox"\n'
                    'approve = "/dekan/{id}/ok"\n')
    routes = RouteMap.load(path)
    assert routes.approver_roles == ("kaprodi", "dekan")
    kaprodi, dekan = (routes.for_level(level) for level in routes.approval_levels)
    assert kaprodi.path("approve", 5) == "/approvals/5/approve"
    assert kaprodi.name("approve") == "/approvals/[id]/approve (kaprodi)"
    assert dekan.path("approvals") == "/dekan/inbox" and dekan.path("approve", 5) == "/dekan/5/ok"
    assert dekan.name("approve") == "/dekan/[id]/ok (dekan)"
    assert dekan.name("reject") == "/approvals/[id]/reject (dekan)"
    assert dekan.name("sppd_show") == "/sppd/[id]"  # only approval requests carry the role


@pytest.mark.parametrize(("text", "message"), [
    ("approval_levels = []\n", "one or more"),
    ('[[approval_levels]]\napprovals = "/x"\n', "level 1 needs a role"),
    ('[[approval_levels]]\nrole = "a"\nwho = "x"\n', "level 1: unknown key"),
    ('[[approval_levels]]\nrole = "a"\n[[approval_levels]]\nrole = "a"\n', "repeat a role"),
])
def test_bad_approval_levels_are_rejected(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        RouteMap.load(path)


THREE = ('[[approval_levels]]\nrole = "atasan"\n[[approval_levels]]\nrole = "dekan"\n'
         '[[approval_levels]]\nrole = "ppk"\n')


def three_levels(tmp_path: Path) -> RouteMap:
    path = tmp_path / "chain.toml"
    path.write_text(THREE)
    return RouteMap.load(path)


@pytest.mark.parametrize("split", [(1, 3), (2, 2), (3, 1), (0, 4), (2, 4)])
def test_approvers_serve_every_level_however_locust_splits_them(
        tmp_path: Path, split: tuple[int, int]) -> None:
    levels = three_levels(tmp_path).approval_levels
    served: set[str] = set()
    for worker, users in enumerate(split):
        rota = ApproverRota(levels, worker, 2)
        served |= {rota.take().role for _ in range(users)}
    assert served == {"atasan", "dekan", "ppk"}


def test_a_stopped_approver_gives_its_level_back_and_visits_move_up_the_chain(
        tmp_path: Path) -> None:
    """Locust rebalancing users over workers stops some: their levels are served again."""
    rota = ApproverRota(three_levels(tmp_path).approval_levels)
    first, second = rota.take(), rota.take()
    assert (first.role, second.role) == ("atasan", "dekan")
    rota.release(second)
    assert rota.take().role == "dekan"
    assert [rota.move_on(first).role, rota.take().role] == ["dekan", "atasan"]
    assert rota.move_on(rota.levels[2]).role == "atasan"  # the chain wraps round


def test_the_built_in_classes_log_in_as_every_level_of_the_chain() -> None:
    assert login_roles(("atasan",)) == ("dosen", "atasan", "keuangan")
    assert login_roles(("kaprodi", "dekan", "keuangan")) == ("dosen", "kaprodi", "dekan",
                                                              "keuangan")
