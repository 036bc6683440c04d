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


def cache_run(tmp_path: Path, ratio: Callable[[int], tuple[float, float | None]]) -> dict[
        str, SloResult]:
    """A 1 s ramp-up of five users, 60 s steady; `ratio(second)` -> (hit ratio, lookups/s
    or None when the collector did not count them). Cache SLO results by phase."""
    tmp_path.mkdir()
    (tmp_path / "campaign.toml").write_text('name = "cache"\n')
    users = ["ts,phase,target_users,user_class,users", "1000,ramp-up,5,Dosen,5"]
    users += [f"{1001 + i},steady,5,Dosen,5" for i in range(60)]
    (tmp_path / "users.csv").write_text("\n".join(users) + "\n")
    histogram = Histogram()
    histogram.record(50, 10)
    rows = ["ts,name,method,count,failures,sum_ms,max_ms,hist"]
    rows += [f"{1000 + i},/dashboard,GET,10,0,500,50,{histogram.encode()}" for i in range(61)]
    (tmp_path / "requests.csv").write_text("\n".join(rows) + "\n")
    metrics = ["ts,collector,target,metric,value"]
    for second in range(1000, 1061):
        hit, lookups = ratio(second)
        metrics.append(f"{second},redis,redis,redis.hit_ratio,{hit}")
        if lookups is not None:
            metrics.append(f"{second},redis,redis,redis.lookups_rate,{lookups}")
    (tmp_path / "metrics.csv").write_text("\n".join(metrics) + "\n")
    return {r.phase: r for r in evaluate(build_context(read_dataset(tmp_path)), SloSpec())
            if r.slo.startswith("cache hit ratio")}


def test_cache_hit_ratio_skips_cold_keys_and_weighs_lookups(tmp_path: Path) -> None:
    """The keys of users who just joined are cold: the 5 s after a 1 s ramp-up read 30%
    and do not fail it. A second of 10 lookups at 60% weighs less than one of 1000 at
    97%, unless the collector did not count lookups."""
    def cold_then_mixed(second: int, counted: bool = True) -> tuple[float, float | None]:
        if second < 1005:
            return 0.3, 10.0 if counted else None
        few = (second // 5) % 2 == 0
        return (0.6 if few else 0.97), (10.0 if few else 1000.0) if counted else None

    results = cache_run(tmp_path / "counted", cold_then_mixed)
    assert results["ramp-up"].passed is None and "cold" in results["ramp-up"].detail
    assert results["steady"].passed is True and results["steady"].value is not None
    assert results["steady"].value > 0.95
    uncounted = cache_run(tmp_path / "uncounted", lambda s: cold_then_mixed(s, counted=False))
    assert uncounted["steady"].passed is False
    off = cache_run(tmp_path / "off", lambda second: (0.5, 800.0))
    assert off["steady"].passed is False and off["steady"].value == pytest.approx(0.5)
