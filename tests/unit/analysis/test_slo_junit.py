from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.context import Context, build_context
from analysis.dataset import read_dataset
from analysis.errors import AnalysisError
from analysis.junit import write_junit
from analysis.slo import SloResult, SloSpec, all_hold, evaluate, slo_spec
from scenarios.histogram import Histogram


def test_defaults_campaign_and_overrides() -> None:
    assert slo_spec({}) == SloSpec()
    spec = slo_spec({"slo": {"p95_ms": 800, "error_rate": 0.02}}, {"p95_ms": 900})
    assert spec.p95_ms == 900 and spec.error_rate == 0.02 and spec.queue_length == 100
    with pytest.raises(AnalysisError, match="unknown SLO 'p99_ms'"):
        slo_spec({"slo": {"p99_ms": 1}})
    with pytest.raises(AnalysisError, match="p95_ms must be a number"):
        slo_spec({}, {"p95_ms": "fast"})


def test_baseline_holds_every_slo_in_every_phase(context_of: Callable[[str], Context]) -> None:
    ctx = context_of("baseline")
    results = evaluate(ctx, SloSpec())
    assert len(results) == 6 * len(ctx.phases)
    assert {r.phase for r in results} == {"warmup", "steady", "peak"}
    assert all_hold(results)
    assert all(r.passed is True for r in results)


def test_saturated_phases_fail_and_calm_phases_pass(context_of: Callable[[str], Context]) -> None:
    results = {(r.phase, r.slo.split(" <")[0].split(" >")[0]): r
               for r in evaluate(context_of("db.query"), SloSpec())}
    assert results[("warmup", "p95 latency")].passed is True
    assert results[("peak", "p95 latency")].passed is False
    assert results[("peak", "p95 latency")].value > 500
    assert not all_hold(list(results.values()))


def test_each_slo_can_fail(context_of: Callable[[str], Context]) -> None:
    failing = {
        "queue.backlog": "queue length", "cache.misses": "cache hit ratio",
        "db.connections": "DB connections", "app.cpu": "CPU sustained",
        "app.errors": "error rate",
    }
    for scenario, slo in failing.items():
        failed = {r.slo for r in evaluate(context_of(scenario), SloSpec()) if r.passed is False}
        assert any(name.startswith(slo) for name in failed), (scenario, failed)


def test_unmeasured_slo_is_skipped_not_failed(context_of: Callable[[str], Context]) -> None:
    results = evaluate(context_of("baseline"), SloSpec())
    skipped = SloResult("p95 latency < 500 ms", "x", 500.0, None, "ms", None, "not measured")
    assert all_hold([*results, skipped])
    failed = SloResult("p95 latency < 500 ms", "x", 500.0, 900.0, "ms", False, "900 ms")
    assert not all_hold([*results, failed])


def test_junit_has_one_testcase_per_slo_and_phase(context_of: Callable[[str], Context],
                                                  tmp_path: Path) -> None:
    results = evaluate(context_of("db.query"), SloSpec())
    path = tmp_path / "junit.xml"
    write_junit(path, results, "db.query")
    suite = ET.parse(path).getroot().find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(results)
    failed = [c for c in cases if c.find("failure") is not None]
    assert len(failed) == sum(1 for r in results if r.passed is False) > 0
    assert suite.get("failures") == str(len(failed))
    assert {c.get("classname") for c in cases} == {"slo.warmup", "slo.steady", "slo.peak"}



def test_a_p95_of_too_few_requests_is_not_judged(tmp_path: Path) -> None:
    """A 1 s ramp-up of five cold logins: its p95 is its slowest request, not a p95."""
    def hist(ms: float, count: int) -> str:
        histogram = Histogram()
        histogram.record(ms, count)
        return histogram.encode()

    (tmp_path / "campaign.toml").write_text('name = "tiny"\n')
    users = ["ts,phase,target_users,user_class,users", "1000,ramp-up,5,Dosen,5"]
    users += [f"{1001 + i},steady,5,Dosen,5" for i in range(40)]
    (tmp_path / "users.csv").write_text("\n".join(users) + "\n")
    rows = ["ts,name,method,count,failures,sum_ms,max_ms,hist",
            f"1000,/login,POST,5,0,4500,900,{hist(900, 5)}"]
    rows += [f"{1001 + i},/dashboard,GET,10,0,500,50,{hist(50, 10)}" for i in range(40)]
    (tmp_path / "requests.csv").write_text("\n".join(rows) + "\n")
    results = {r.phase: r for r in evaluate(build_context(read_dataset(tmp_path)), SloSpec())
               if r.slo.startswith("p95")}
    assert results["ramp-up"].passed is None and "only 5 requests" in results["ramp-up"].detail
    assert results["steady"].passed is True
