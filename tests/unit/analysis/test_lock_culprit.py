"""The lock culprit from blockers.csv: one holder is named and its advice follows from
its state; many holders in turn are the app's own contention."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis.context import build_context
from analysis.dataset import read_dataset
from analysis.rules import diagnose
from collectors.sampler import BLOCKERS_HEADER


def _write_blockers(results: Path, one_holder: bool,
                    first_waiter: str = "INSERT INTO sppd VALUES (?)") -> None:
    metrics = pd.read_csv(results / "metrics.csv")
    waits = metrics[(metrics["metric"] == "db.locks.ungranted") & (metrics["value"] >= 1)]
    with (results / "blockers.csv").open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(BLOCKERS_HEADER)
        for second, (ts, waiting) in enumerate(zip(waits["ts"], waits["value"], strict=True)):
            if one_holder:
                out.writerow([ts, "db", 4242, "psql", "10.0.0.7", "report",
                              "idle in transaction", 60.0 + second, 1, False,
                              "LOCK TABLE sppd IN SHARE ROW EXCLUSIVE MODE"])
                # the first waiter, queued behind the holder, blocks the rest
                out.writerow([ts, "db", 5000, "esppd", "local", "esppd", "active",
                              0.2, int(waiting) - 1, True, first_waiter])
            else:
                out.writerow([ts, "db", 5000 + second, "esppd", "local", "esppd", "active",
                              0.3, int(waiting), False,
                              "UPDATE nomor_counter SET n = n + ? WHERE id = ?"])


def test_one_session_holding_the_lock_is_named_with_advice_for_it(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.locks")
    _write_blockers(results, one_holder=True)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.locks"
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "session 4242" in culprit and "'psql'" in culprit and "idle in transaction" in culprit
    assert "LOCK TABLE sppd" in culprit
    advice = " ".join(finding.recommendations)
    assert "pg_terminate_backend(4242)" in advice
    assert "idle_in_transaction_session_timeout" in advice
    assert "hot row" not in advice


def test_a_schema_change_queued_behind_the_holder_is_named_with_its_advice(
        copy_of: Callable[[str], Path]) -> None:
    """The classic outage: a migration's ALTER TABLE waits for a long transaction, and
    every later statement on the table waits behind the ALTER."""
    results = copy_of("db.locks")
    _write_blockers(results, one_holder=True, first_waiter="ALTER TABLE sppd ADD COLUMN x int")
    finding = diagnose(build_context(read_dataset(results)))[0]
    culprit = next(line for line in finding.evidence if line.startswith("culprit: "))
    assert "session 4242" in culprit
    assert "at the head of the queue, session 5000" in culprit and "ALTER TABLE sppd" in culprit
    assert "SET lock_timeout = '3s'" in " ".join(finding.recommendations)
    plain = copy_of("db.locks")
    _write_blockers(plain, one_holder=True)  # an INSERT at the head: the app's own write
    advice = " ".join(diagnose(build_context(read_dataset(plain)))[0].recommendations)
    assert "lock_timeout = '3s'" not in advice


def test_sessions_taking_turns_are_the_apps_own_contention(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.locks")
    _write_blockers(results, one_holder=False)
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.locks"
    assert any("different sessions took turns" in line for line in finding.evidence)
    assert not any(line.startswith("culprit: ") for line in finding.evidence)
    assert "hot row" in " ".join(finding.recommendations)


def test_without_blockers_the_rule_still_names_the_contention(
        copy_of: Callable[[str], Path]) -> None:
    results = copy_of("db.locks")
    (results / "blockers.csv").unlink()  # results written before blockers.csv existed
    finding = diagnose(build_context(read_dataset(results)))[0]
    assert finding.bottleneck == "db.locks" and finding.details["culprit"] is None


def test_turns_on_a_row_wait_on_a_starved_server_and_one_holder_on_no_one() -> None:
    """Laravel/PostgreSQL fault matrix at 0aef8ff, database CPU quota: the app's own
    upserts of the number counter, fast at full speed, queued behind each other once
    the throttled server ran every holder slowly (`db.locks` 0.60 beside `db.cpu` 1.00).
    A session holding the lock alone is a cause, whatever the server does."""
    from analysis.culprit import LockCulprit
    from analysis.findings import Finding
    from analysis.rules import demote_symptoms, rank

    def ranked(share: float) -> list[str]:
        holder = LockCulprit("db", "9108", "esppd-app", "127.0.0.1", "esppd", "active",
                             1000.0, 1060.0, 2, 0.1, "", share, 4 if share < 0.5 else 1, 2.0)
        found = {"db.cpu": Finding("db.cpu", 0.9, "", [], onset_ts=1000.0),
                 "db.locks": Finding("db.locks", 0.95, "", [], onset_ts=1010.0,
                                     details={"culprit": holder})}
        return [f.bottleneck for f in rank(found, demote_symptoms(found))]

    assert ranked(share=0.3) == ["db.cpu", "db.locks"]
    assert ranked(share=0.9) == ["db.locks", "db.cpu"]
