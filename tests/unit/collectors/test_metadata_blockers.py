"""Metadata lock blockers: the root of a queue, not the statements that joined it."""

from __future__ import annotations

from typing import Any

from collectors.mysql import metadata_blockers


def lock(session: int, status: str, seconds: int, trx_age_s: int | None = None,
         name: str = "sppd", command: str = "Query") -> dict[str, Any]:
    return {"kind": "TABLE", "db": "esppd", "name": name, "status": status, "id": session,
            "application": "", "user": "esppd", "client": "10.0.0.5:4711", "command": command,
            "seconds": seconds, "trx_age_s": trx_age_s, "query": f"statement of {session}"}


def test_an_alter_queued_behind_an_old_transaction_is_a_link_and_the_transaction_the_root(
        ) -> None:
    locks = [
        lock(1, "GRANTED", 300, trx_age_s=310, command="Sleep"),  # forgot to commit
        lock(2, "GRANTED", 40), lock(2, "PENDING", 40),          # ALTER TABLE: SU, wants X
        lock(3, "PENDING", 30), lock(4, "PENDING", 12),           # the app's reads, queued
        lock(5, "GRANTED", 0, trx_age_s=0),                       # a read that just began
        lock(6, "GRANTED", 900, trx_age_s=900, name="users"),     # holds another table
    ]
    rows = {row["id"]: row for row in metadata_blockers(locks)}
    assert set(rows) == {1, 2}
    assert (rows[1]["blocked"], rows[1]["waiting"], rows[1]["age_s"]) == (False, 3, 310)
    assert (rows[2]["blocked"], rows[2]["waiting"]) == (True, 2)  # the reads behind it


def test_no_waiter_no_blocker() -> None:
    assert metadata_blockers([lock(1, "GRANTED", 300, trx_age_s=300)]) == []
