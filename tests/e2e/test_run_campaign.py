"""run_campaign.py end to end: real stack, real Locust processes, real analysis."""

from __future__ import annotations

import contextlib
import csv
import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
CAMPAIGN = """
name = "e2e"
[target]
kind = "embedded"
size = "small"
[load]
shape = "constant"
users = 8
spawn_rate = 8
duration = "{duration}"
think_scale = 0.1
[distribution]
workers = 2
"""


def write_campaign(tmp_path: Path, duration: str = "15s", extra: str = "") -> Path:
    path = tmp_path / "e2e.toml"
    path.write_text(CAMPAIGN.format(duration=duration) + extra)
    return path


def start(args: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "run_campaign.py", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def descendants(pid: int) -> set[int]:
    try:
        return {child.pid for child in psutil.Process(pid).children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def kill_all(root: int, title: str) -> int:
    """Kill every process under `root` whose command line starts with `title`.

    Why: a PHP-FPM master respawns children killed before it, and children it forks
    between a listing and the kill outlive it and keep serving; stopped first, no
    process can fork, so the second listing is complete.
    """
    stopped: dict[int, psutil.Process] = {}
    while new := descendants(root) - set(stopped):
        for pid in new:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc = psutil.Process(pid)
                if " ".join(proc.cmdline()).startswith(title):
                    proc.suspend()
                    stopped[pid] = proc
        if not any(pid in stopped for pid in new):
            break
    for proc in stopped.values():
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    return len(stopped)


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                living.add(pid)
        except psutil.NoSuchProcess:
            pass
    return living


def assert_gone(pids: set[int], timeout: float = 15) -> None:
    """Every process of `pids` exits within `timeout` (polled, not slept on)."""
    deadline = time.monotonic() + timeout
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(pids) == set()


def wait_for_load(results: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        requests = results / "requests.csv"
        if requests.exists() and len(requests.read_text().splitlines()) > 3:
            return
        time.sleep(0.5)
    raise AssertionError("no requests recorded in time")


def events(results: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (results / "events.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("app", ["python", "laravel"])
def test_smoke_campaign_writes_the_results_contract_and_exits_0(app: str,
                                                                tmp_path: Path) -> None:
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, "run_campaign.py", str(write_campaign(tmp_path)),
                          "--app", app, "--out", str(out), "--quiet"], cwd=ROOT,
                         capture_output=True, text=True, timeout=240)
    junit = out / "junit.xml"
    failed = [failure.get("message") for failure in ET.parse(junit).iter("failure")] \
        if junit.exists() else []
    assert run.returncode == 0, (failed, run.stderr[-3000:])
    assert run.stdout.strip().splitlines()[-1] == str(out)
    for name in ("campaign.toml", "events.jsonl", "requests.csv", "errors.csv", "users.csv",
                 "metrics.csv", "analysis.json", "report.html", "summary.md", "junit.xml",
                 "locust/locust_stats.csv", "locust/report.html"):
        assert (out / name).is_file(), name
    assert list((out / "figures").glob("*.png"))
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["verdicts"][0]["bottleneck"] == "none"
    kinds = {event["kind"] for event in events(out)}
    assert {"stack_start", "load_start", "phase_start", "worker_joined", "load_stop",
            "stack_stop"} <= kinds
    assert "worker_lost" not in kinds  # workers quitting at the end are not lost
    assert analysis["run"]["complete"] is True
    assert 'href="locust/report.html"' in (out / "report.html").read_text()
    assert "password" not in (out / "campaign.toml").read_text().lower()
    metrics = (out / "metrics.csv").read_text()
    # The app's own status page (PHP-FPM's for Laravel, with nginx's) and its CPU group.
    assert ",app.workers.busy," in metrics and ",app.listen_queue," in metrics
    if app == "laravel":
        assert ",nginx.connections.active," in metrics and "proc.cpu{php-fpm}" in metrics
    # The stack's logs are followed, and the disks' space read.
    assert ",log.lines," in metrics and "fs.used_ratio{/}" in metrics
    again = subprocess.run([sys.executable, "run_campaign.py", "--analyze", str(out)], cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr[-3000:]


def test_a_bad_config_exits_2_and_names_the_key(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, extra="[slo]\np95_msec = 100\n")
    run = subprocess.run([sys.executable, "run_campaign.py", str(path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "slo.p95_msec: unknown key" in run.stderr
    assert "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "run_campaign.py", str(path.with_name("nope.toml"))],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "no such campaign file" in run.stderr
    run = subprocess.run([sys.executable, "run_campaign.py", "--analyze", str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "is not a results directory" in run.stderr


# The Python app's run is slow-only: its stack's teardown mid-run is also checked by
# the second-signal test below, on the Python app.
@pytest.mark.parametrize("app", [pytest.param("python", marks=pytest.mark.slow), "laravel"])
def test_sigint_mid_run_still_reports_and_leaves_no_process(app: str, tmp_path: Path) -> None:
    out = tmp_path / "results"
    process = start([str(write_campaign(tmp_path, duration="120s")), "--app", app,
                     "--out", str(out), "--quiet"])
    wait_for_load(out)
    family = descendants(process.pid)
    assert len(family) >= 6  # postgres, redis, app, queue workers, locust workers
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 4, stderr[-3000:]
    assert stdout.strip().splitlines()[-1] == str(out)
    assert (out / "report.html").is_file() and (out / "analysis.json").is_file()
    stop = [event for event in events(out) if event["kind"] == "load_stop"]
    assert stop and stop[0]["reason"] == "Ctrl-C"
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["run"]["complete"] is False and analysis["run"]["reason"] == "Ctrl-C"
    assert "stopped by Ctrl-C" in (out / "report.html").read_text()
    assert_gone(family)


def test_a_signal_before_the_load_tears_down_at_once(tmp_path: Path) -> None:
    """SIGTERM while the embedded stack starts: nothing runs that could stop gracefully,
    so the start is abandoned, no load begins, and nothing stays behind (it once went on
    seeding, started the load and stopped it 4 s later)."""
    out = tmp_path / "results"
    process = start([str(write_campaign(tmp_path, duration="60s")), "--app", "laravel",
                     "--out", str(out), "--quiet"])
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while not any(_named(pid, "postgres") for pid in seen) and time.monotonic() < deadline:
        seen |= descendants(process.pid)
        time.sleep(0.05)
    assert seen, "the stack never started"
    process.send_signal(signal.SIGTERM)
    signalled = time.monotonic()
    while process.poll() is None and time.monotonic() - signalled < 60:
        seen |= descendants(process.pid)  # what the teardown may still start
        time.sleep(0.05)
    _stdout, stderr = process.communicate(timeout=10)
    assert process.returncode == 4, stderr[-3000:]
    assert "SIGTERM before the load began: tearing down now" in stderr
    assert "Traceback" not in stderr
    started = [e for e in events(out) if e["kind"] == "load_start"] \
        if (out / "events.jsonl").exists() else []
    assert started == []
    assert_gone(seen)


def test_a_second_signal_mid_run_tears_down_at_once(tmp_path: Path) -> None:
    """The second Ctrl-C interrupts the graceful stop (it once reached only the signal
    handler's own greenlet, so the stop went on as if sent once)."""
    out = tmp_path / "results"
    process = start([str(write_campaign(tmp_path, duration="120s")), "--out", str(out),
                     "--quiet"])
    wait_for_load(out)
    family = descendants(process.pid)
    process.send_signal(signal.SIGINT)
    time.sleep(0.5)
    process.send_signal(signal.SIGINT)
    _stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 4, stderr[-3000:]
    assert "Ctrl-C again: tearing down now" in stderr and "Traceback" not in stderr
    # Locust's graceful stop (up to its 10 s stop timeout) never finished.
    assert "load_stop" not in [event["kind"] for event in events(out)]
    assert (out / "analysis.json").is_file()  # what was recorded is still analyzed
    assert_gone(family)


def _named(pid: int, name: str) -> bool:
    try:
        return psutil.Process(pid).name().startswith(name)
    except psutil.NoSuchProcess:
        return False


def test_a_killed_worker_is_an_event_not_a_crash(tmp_path: Path) -> None:
    out = tmp_path / "results"
    process = start([str(write_campaign(tmp_path, duration="25s")), "--out", str(out),
                     "--quiet"])
    wait_for_load(out)
    workers = [p for p in map(psutil.Process, descendants(process.pid))
               if "--worker" in p.cmdline()]
    assert len(workers) == 2
    workers[0].kill()
    _stdout, stderr = process.communicate(timeout=240)
    assert process.returncode in (0, 1), stderr[-3000:]
    assert any(event["kind"] == "worker_lost" for event in events(out))
    assert (out / "report.html").is_file()


# The Python app's run (the same harness path) is slow-only.
@pytest.mark.parametrize(("app", "title"), [
    pytest.param("python", "esppd-app", marks=pytest.mark.slow), ("laravel", "php-fpm")])
def test_a_target_that_dies_is_reported_as_app_errors(app: str, title: str,
                                                      tmp_path: Path) -> None:
    out = tmp_path / "results"
    process = start([str(write_campaign(tmp_path, duration="40s")), "--app", app,
                     "--out", str(out), "--quiet"])
    wait_for_load(out)
    time.sleep(8)  # a healthy stretch before the death, for the onset to stand out
    killed_at = time.time()
    assert kill_all(process.pid, title)
    _stdout, stderr = process.communicate(timeout=240)
    assert process.returncode == 1, stderr[-3000:]  # the error-rate SLO fails
    analysis = json.loads((out / "analysis.json").read_text())
    top = analysis["verdicts"][0]
    assert top["bottleneck"] == "app.errors", top
    assert abs(top["onset_ts"] - killed_at) < 10, top
    if app == "laravel":  # nginx's error log says it in its words
        assert any(line.startswith("log: nginx-error.log: error: connect() failed (N: "
                                   "Connection refused)") for line in top["evidence"]), top


# Slow (75 s): the chain's levels are also walked on Laravel with both databases by
# tests/integration/reference_app/test_approval_chain.py; this is the campaign around it.
@pytest.mark.slow
@pytest.mark.parametrize("app", ["python", "laravel"])
def test_an_open_model_campaign_reports_planned_and_achieved_arrivals(
        app: str, tmp_path: Path) -> None:
    """Visits arrive at the planned rate (each one a new person: login, pages, logout);
    the report puts planned next to achieved arrivals and the raw p99 next to the
    corrected one, and its caveat names the open model."""
    campaign = tmp_path / "open.toml"
    campaign.write_text(CAMPAIGN.replace('shape = "constant"', 'shape = "arrival-rate"')
                        .replace("users = 8", "users = 100\narrival_rate = 1.0\n"
                                 "seconds_per_hour = \"3s\"")
                        .format(duration="30s"))
    out = tmp_path / "results"
    run = subprocess.run([sys.executable, "run_campaign.py", str(campaign), "--app", app,
                          "--out", str(out), "--quiet"], cwd=ROOT, capture_output=True,
                         text=True, timeout=240)
    assert run.returncode in (0, 1), run.stderr[-3000:]  # 1: an SLO failed, still a report
    analysis = json.loads((out / "analysis.json").read_text())
    arrivals = analysis["arrivals"]
    assert [a["phase"] for a in arrivals][:3] == ["07:00", "08:00", "09:00"]
    started = sum(a["arrivals"] - a["dropped"] for a in arrivals)
    assert started >= 10 and sum(a["dropped"] for a in arrivals) == 0
    with open(out / "requests.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    logins = sum(int(r["count"]) for r in rows if (r["method"], r["name"]) == ("POST", "/login"))
    assert logins >= started  # every visit logs in as someone new
    posts = [r for r in rows if r["method"] == "POST"]
    assert sum(int(r["failures"]) for r in posts) == 0  # no 419: CSRF holds across visits
    assert any(a.startswith("Open model") for a in analysis["caveats"])
    report = (out / "report.html").read_text()
    assert "Arrivals (open model)" in report and "p99 corrected" in report


# Slow (75 s): the chain's levels are also walked on Laravel with both databases by
# tests/integration/reference_app/test_approval_chain.py; this is the campaign around it.
@pytest.mark.slow
@pytest.mark.parametrize("app", ["python", "laravel"])
def test_a_three_level_approval_campaign_runs_clean(app: str, tmp_path: Path) -> None:
    """The shipped campaign: its route map's levels seed the embedded app's chain, and
    every approver level logs in with its own role and decides without a failure."""
    out = tmp_path / "results"
    # Its own 60 s. At 40 s one CI run saw no PPK request, most likely because Locust,
    # rebalancing users over the workers, stopped the PPK approver (scenarios/rota.py
    # now gives a stopped approver's level to the next one).
    run = subprocess.run([sys.executable, "run_campaign.py", "campaigns/three-level-approvals.toml",
                          "--app", app, "--users", "40", "--out", str(out),
                          "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert run.returncode in (0, 1), run.stderr[-3000:]  # 1: an SLO failed, still a report
    with open(out / "requests.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    posts = [r for r in rows if r["method"] == "POST"]
    assert sum(int(r["failures"]) for r in posts) == 0
    names = {r["name"] for r in rows}
    assert {f"/approvals ({role})" for role in ("atasan", "dekan", "ppk")} <= names, names
