"""A trip climbing three approval levels (unit head -> dean -> PPK), on both apps.

The small seed: unit 1 is the finance bureau, unit 2 the one faculty, units 3-5
its study programmes; dosen0003 works in unit 3, so atasan0003 decides first,
then dekan0002 (the faculty), then a PPK; dekan0001 heads the bureau.
"""

from __future__ import annotations

import time

import pytest

from reference_app.client import EsppdClient
from reference_app.smoke import walk
from reference_app.stack import EmbeddedStack
from testkit.trips import new_trip

pytestmark = pytest.mark.timeout(180)


def submitted_trip(stack: EmbeddedStack, dosen: int = 3) -> tuple[EsppdClient, int]:
    traveller = EsppdClient(stack.url)
    traveller.login("dosen", dosen)
    sppd_id = new_trip(traveller)
    assert traveller.post(f"/sppd/{sppd_id}/submit").status_code == 302
    return traveller, sppd_id


def signed_in(stack: EmbeddedStack, role: str, number: int) -> EsppdClient:
    client = EsppdClient(stack.url)
    client.login(role, number)
    return client


def waiting_for(client: EsppdClient, sppd_id: int) -> bool:
    return f'data-sppd-id="{sppd_id}"' in client.get("/approvals").text


def progress(stack: EmbeddedStack, sppd_id: int) -> tuple[str, int]:
    rows = stack.query("SELECT status, approval_level FROM sppd WHERE id = %s", (sppd_id,))
    return rows[0][0], rows[0][1]


def test_a_trip_climbs_every_level_and_only_the_last_approves_it(
        chain_stack: EmbeddedStack) -> None:
    stack = chain_stack
    traveller, sppd_id = submitted_trip(stack)
    head, dean, bureau_head, ppk = (signed_in(stack, "atasan", 3), signed_in(stack, "dekan", 2),
                                    signed_in(stack, "dekan", 1), signed_in(stack, "ppk", 1))

    assert waiting_for(head, sppd_id) and not waiting_for(dean, sppd_id)
    assert dean.post(f"/approvals/{sppd_id}/approve").status_code == 422  # not its level yet
    assert f"/approvals/{sppd_id}/approve" not in dean.get(f"/sppd/{sppd_id}").text
    assert head.post(f"/approvals/{sppd_id}/approve").status_code == 302
    assert progress(stack, sppd_id) == ("diajukan", 1)
    assert not waiting_for(head, sppd_id) and waiting_for(dean, sppd_id)
    assert f"/approvals/{sppd_id}/approve" in dean.get(f"/sppd/{sppd_id}").text

    assert bureau_head.post(f"/approvals/{sppd_id}/approve").status_code == 403  # other faculty
    assert not waiting_for(bureau_head, sppd_id)
    assert dean.post(f"/approvals/{sppd_id}/approve").status_code == 302
    assert dean.post(f"/approvals/{sppd_id}/approve").status_code in (409, 422)  # done already
    assert progress(stack, sppd_id) == ("diajukan", 2)
    assert 'data-status="diajukan"' in traveller.get(f"/sppd/{sppd_id}").text

    assert waiting_for(ppk, sppd_id)
    assert ppk.post(f"/approvals/{sppd_id}/approve").status_code == 302
    assert progress(stack, sppd_id) == ("disetujui", 3)
    assert "/SPPD/UN/" in traveller.get(f"/sppd/{sppd_id}").text
    logs = stack.query("SELECT action, level FROM approval_logs WHERE sppd_id = %s ORDER BY id",
                       (sppd_id,))
    assert [tuple(row) for row in logs] == [("diajukan", None), ("disetujui", 1),
                                            ("disetujui", 2), ("disetujui", 3)]


def test_each_next_approver_is_told_on_the_queue(chain_stack: EmbeddedStack) -> None:
    stack = chain_stack
    _, sppd_id = submitted_trip(stack)
    signed_in(stack, "atasan", 3).post(f"/approvals/{sppd_id}/approve")
    dean_id = stack.query("SELECT id FROM users WHERE email = 'dekan0002@esppd.test'")[0][0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        told = stack.query("SELECT count(*) FROM notifications WHERE user_id = %s "
                           "AND type = 'sppd.diajukan'", (dean_id,))[0][0]
        if told:
            break
        time.sleep(0.5)
    assert told, "the dean was never told that a trip waits for the faculty's approval"


def test_a_rejection_at_a_middle_level_ends_the_climb(chain_stack: EmbeddedStack) -> None:
    stack = chain_stack
    traveller, sppd_id = submitted_trip(stack, dosen=8)  # unit 3 too
    assert signed_in(stack, "atasan", 3).post(f"/approvals/{sppd_id}/approve").status_code == 302
    dean = signed_in(stack, "dekan", 2)
    assert dean.post(f"/approvals/{sppd_id}/reject",
                     {"catatan": "Anggaran fakultas habis"}).status_code == 302
    assert progress(stack, sppd_id) == ("ditolak", 1)
    assert not waiting_for(signed_in(stack, "ppk", 2), sppd_id)
    assert 'data-status="ditolak"' in traveller.get(f"/sppd/{sppd_id}").text


def test_approvers_see_the_units_their_level_covers(chain_stack: EmbeddedStack) -> None:
    stack = chain_stack
    _, in_faculty = submitted_trip(stack, dosen=4)   # unit 4, under the faculty
    _, in_bureau = submitted_trip(stack, dosen=6)    # unit 1, the bureau
    dean, ppk = signed_in(stack, "dekan", 2), signed_in(stack, "ppk", 1)
    assert dean.get(f"/sppd/{in_faculty}").status_code == 200
    assert dean.get(f"/sppd/{in_bureau}").status_code == 403
    assert ppk.get(f"/sppd/{in_bureau}").status_code == 200
    assert signed_in(stack, "atasan", 3).get(f"/sppd/{in_faculty}").status_code == 403


def test_the_smoke_walk_climbs_the_whole_chain(chain_stack: EmbeddedStack) -> None:
    """`python -m reference_app smoke --approval-chain ...` approves at every level, so
    the trip report and the document that follow it succeed."""
    stack = chain_stack
    pages = walk(stack.url, stack.config.approval_chain)
    assert [status for _, _, status in pages if status >= 400] == []
    assert [name for name, _, _ in pages].count("POST /approvals/[id]/approve") == 3
    newest = stack.query("SELECT status, approval_level FROM sppd WHERE maksud = "
                         "'Seminar nasional smoke' ORDER BY id DESC LIMIT 1")
    assert tuple(newest[0]) == ("selesai", 3)
