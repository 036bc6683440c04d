"""The user classes, recorder and CSRF handling against the real embedded stack."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from reference_app.stack import EmbeddedStack
from supervision import free_port

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[3]
LOCUSTFILE = ROOT / "scenarios" / "locustfile.py"
SMALL_POOLS = "dosen=60,atasan=5,keuangan=3"
COMMON = {"GET /login", "POST /login"}
EXPECTED = {
    "Dosen": COMMON | {"GET /dashboard", "GET /sppd", "GET /sppd/[id]", "GET /sppd/create",
                       "POST /sppd", "POST /sppd/[id]/submit"},
    "Atasan": COMMON | {"GET /approvals", "POST /approvals/[id]/approve", "GET /sppd/[id]"},
    "Keuangan": COMMON | {"GET /reports/monthly", "GET /sppd"},
}
ALLOWED = set().union(*EXPECTED.values()) | {
    "POST /logout", "POST /sppd/[id]/document", "GET /documents/[id]", "JOB document ready",
    "GET /laporan", "POST /laporan", "POST /approvals/[id]/reject", "POST /exports",
    "GET /exports/[id]", "JOB export ready"}


def locust(args: list[str], out: Path, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *args],
                          capture_output=True, text=True, timeout=timeout, cwd=out)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def recorded(results: Path) -> tuple[Counter[str], Counter[str]]:
    counts: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    with open(results / "requests.csv") as handle:
        for row in csv.DictReader(handle):
            counts[f"{row['method']} {row['name']}"] += int(row["count"])
            failures[f"{row['method']} {row['name']}"] += int(row["failures"])
    return counts, failures


def locust_totals(prefix: Path) -> tuple[int, int]:
    """Locust's own final totals: its JSON stats, written after the runner stopped (its
    `_stats.csv` is written each second and misses requests that end after the last)."""
    entries = json.loads(Path(f"{prefix}.json").read_text())
    return (sum(int(e["num_requests"]) for e in entries),
            sum(int(e["num_failures"]) for e in entries))


@pytest.mark.parametrize("user_class", ["Dosen", "Atasan", "Keuangan"])
def test_each_user_class_runs_clean_and_the_recorder_matches_locust(
        stack: EmbeddedStack, tmp_path: Path, user_class: str) -> None:
    results = tmp_path / "results"
    run = locust(["--headless", "-u", "4", "-r", "4", "-t", "12s", "--host", stack.url,
                  "--results-dir", str(results), "--esppd-accounts", SMALL_POOLS,
                  "--esppd-think-scale", "0.08", "--json-file", str(tmp_path / "locust"),
                  "--only-summary", user_class], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    counts, failures = recorded(results)
    assert sum(failures.values()) == 0
    assert EXPECTED[user_class] <= set(counts), set(counts)
    assert set(counts) <= ALLOWED
    assert locust_totals(tmp_path / "locust") == (sum(counts.values()), 0)
    users = read_csv(results / "users.csv")
    assert {row["user_class"] for row in users if int(row["users"]) > 0} == {user_class}
    # every row carries the coordinated-omission column (empty: nothing was missed)
    assert all("hist_missed" in row and row["hist_missed"] is not None
               for row in read_csv(results / "requests.csv"))


def test_distributed_run_merges_every_workers_requests(stack: EmbeddedStack,
                                                        tmp_path: Path) -> None:
    results, port = tmp_path / "results", free_port()
    common = ["--host", stack.url, "--esppd-accounts", SMALL_POOLS, "--esppd-workers", "2",
              "--esppd-think-scale", "0.08"]
    workers = [subprocess.Popen([sys.executable, "-m", "locust", "-f", str(LOCUSTFILE),
                                 "--worker", "--master-port", str(port), *common],
                                cwd=tmp_path, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL) for _ in range(2)]
    try:
        run = locust(["--master", "--headless", "--expect-workers", "2", "--master-bind-port",
                      str(port), "-u", "8", "-r", "8", "-t", "15s", "--results-dir",
                      str(results), "--json-file", str(tmp_path / "locust"), "--only-summary",
                      *common], tmp_path)
    finally:
        for worker in workers:
            worker.wait(timeout=30)
    assert run.returncode == 0, run.stderr[-3000:]
    counts, failures = recorded(results)
    assert sum(failures.values()) == 0
    assert locust_totals(tmp_path / "locust") == (sum(counts.values()), 0)
    cpu = [row for row in read_csv(results / "metrics.csv")
           if row["metric"].startswith("loadgen.cpu{worker-")]
    assert {row["target"] for row in cpu} == {"worker-0", "worker-1"}


ROTATED_TOKEN_SCRIPT = """
import json, sys
from gevent import monkey
monkey.patch_all()
from locust import events
from locust.contrib.fasthttp import FastHttpSession
from scenarios.accounts import AccountPool
from scenarios.laravel import LaravelBrowser
from scenarios.routes import RouteMap

seen = []
events.request.add_listener(lambda name, response, **_kw: seen.append(
    [name, response.status_code if response is not None else 0]))
browser = LaravelBrowser(FastHttpSession(sys.argv[1], events.request, user=None), RouteMap())
assert browser.login(AccountPool.seeded({"dosen": 60}).next("dosen"))
for cookie in browser.client.cookiejar:
    if cookie.name == "XSRF-TOKEN":
        cookie.value = "rotated-elsewhere"
browser.page_token = "rotated-elsewhere"
response = browser.post("sppd_store", {"tujuan_id": 1, "transportasi_id": 1,
                                       "maksud": "Uji token", "tanggal_berangkat": "2030-01-02",
                                       "tanggal_kembali": "2030-01-03"},
                        refresh_route="sppd_create", expect=(302,))
print(json.dumps({"final": response.status_code, "seen": seen}))
"""


def test_csrf_recovers_from_a_rotated_token(stack: EmbeddedStack) -> None:
    # Its own process: Locust's gevent patching must come before anything imports ssl.
    run = subprocess.run([sys.executable, "-c", ROTATED_TOKEN_SCRIPT, stack.url],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["final"] == 302
    assert [status for name, status in outcome["seen"] if name == "/sppd"] == [419, 302]


SESSION_LOST_SCRIPT = """
import json, sys
from gevent import monkey
monkey.patch_all()
from locust import events
from locust.contrib.fasthttp import FastHttpSession
from scenarios.accounts import AccountPool
from scenarios.laravel import LaravelBrowser, location_id
from scenarios.routes import RouteMap

seen = []
events.request.add_listener(lambda name, request_type, response, exception, **_kw: seen.append(
    [request_type + " " + name, response.status_code if response is not None else 0,
     str(exception) if exception else ""]))
browser = LaravelBrowser(FastHttpSession(sys.argv[1], events.request, user=None), RouteMap())

def server_loses_the_session():
    for cookie in browser.client.cookiejar:
        if cookie.name != "XSRF-TOKEN":
            cookie.value = "gone-from-the-store"

assert browser.login(AccountPool.seeded({"dosen": 60}).next("dosen"))
created = browser.post("sppd_store", {"tujuan_id": 1, "transportasi_id": 1,
                                      "maksud": "Uji sesi", "tanggal_berangkat": "2030-01-02",
                                      "tanggal_kembali": "2030-01-03"},
                       refresh_route="sppd_create", expect=(302,))
document = location_id(browser.post("sppd_document", {}, location_id(created), expect=(302,)))
steps = {}
for step, act in (("page", lambda: browser.get("dashboard")),
                  ("next page", lambda: browser.get("sppd_index")),
                  ("form", lambda: browser.post("sppd_submit", {}, location_id(created),
                                                refresh_route="dashboard", expect=(302,))),
                  ("poll", lambda: browser.poll("document_status", document, timeout_s=20))):
    if step != "next page":
        server_loses_the_session()
    del seen[:]
    act()
    steps[step] = list(seen)
print(json.dumps(steps))
"""


def test_a_session_the_server_lost_is_a_failure_and_the_user_signs_in_again(
        stack: EmbeddedStack) -> None:
    """The server forgets the session (its store flushed): the page that lands on the
    login form, the form sent back there and the poll answered 401 are each one failure
    named 'session lost'; the user signs in again and the same action goes on."""
    run = subprocess.run([sys.executable, "-c", SESSION_LOST_SCRIPT, stack.url],
                         capture_output=True, text=True, timeout=90, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    steps = json.loads(run.stdout.strip().splitlines()[-1])
    lost = "session lost: signed out by the server"
    assert steps["page"] == [["GET /dashboard", 200, lost]]
    assert [(name, error) for name, _, error in steps["next page"]] == [
        ("GET /login", ""), ("POST /login", ""), ("GET /sppd", "")]
    form = [(name, error) for name, _, error in steps["form"]]
    assert form.count(("GET /dashboard", lost)) == 1 and ("POST /login", "") in form
    assert form[-1] == ("POST /sppd/[id]/submit", "")
    poll = steps["poll"]
    assert poll[0] == ["GET /documents/[id]", 401, lost]
    assert ["POST /login", 302, ""] in poll and poll[-1][2] == "" and poll[-1][1] == 200


DECIDED_TWICE_SCRIPT = """
import json, sys
from gevent import monkey
monkey.patch_all()
from locust import events
from locust.contrib.fasthttp import FastHttpSession
from scenarios.accounts import AccountPool
from scenarios.laravel import LaravelBrowser
from scenarios.routes import RouteMap

seen = []
events.request.add_listener(lambda name, response, exception, **_kw: seen.append(
    [name, response.status_code if response is not None else 0, exception is not None]))
for account in reversed(AccountPool.seeded({"atasan": 5}).accounts["atasan"]):
    # a unit head with something to decide (earlier tests decide the first units' SPPD)
    browser = LaravelBrowser(FastHttpSession(sys.argv[1], events.request, user=None),
                             RouteMap())
    assert browser.login(account)
    pending = browser.routes.find_all("sppd_id", browser.get("approvals").text or "")
    if pending:
        break
for _ in range(2):  # the second decision finds it decided: 409/422, as expected
    browser.post("approve", {}, pending[0], refresh_route="approvals", expect=(302, 409, 422))
print(json.dumps(seen))
"""


def test_an_expected_refusal_is_not_a_failure(stack: EmbeddedStack) -> None:
    """Two approvals of one SPPD: the second is refused (decided meanwhile), which the
    Atasan users expect under contention; Locust must not count it as failed."""
    run = subprocess.run([sys.executable, "-c", DECIDED_TWICE_SCRIPT, stack.url],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 0, run.stderr[-2000:]
    approvals = [(status, failed) for name, status, failed in
                 json.loads(run.stdout.strip().splitlines()[-1])
                 if name == "/approvals/[id]/approve"]
    assert approvals[0][0] == 302
    assert approvals[1][0] in (409, 422) and not any(failed for _, failed in approvals)


THREE_LEVELS = ROOT / "campaigns" / "routes-three-levels.toml"


# On the real Laravel target (the Python app's chain is proven in test_approval_chain).
@pytest.mark.parametrize("chain_stack", [("laravel", "postgresql")], indirect=True,
                         ids=["laravel-postgresql"])
def test_approvers_serve_every_level_of_the_route_maps_chain(chain_stack: EmbeddedStack,
                                                              tmp_path: Path) -> None:
    """Approver users spread over the route map's three levels, each logged in with its
    level's role; trips the unit heads approve reach the dean and then the PPK."""
    results = tmp_path / "results"
    run = locust(["--headless", "-u", "9", "-r", "9", "-t", "25s", "--host", chain_stack.url,
                  "--results-dir", str(results), "--esppd-accounts",
                  f"{SMALL_POOLS},dekan=2,ppk=2", "--esppd-route-map", str(THREE_LEVELS),
                  "--esppd-think-scale", "0.08", "--only-summary", "Atasan"], tmp_path)
    assert run.returncode == 0, run.stderr[-3000:]
    counts, failures = recorded(results)
    assert sum(failures.values()) == 0, failures
    for role in ("atasan", "dekan", "ppk"):
        assert counts[f"GET /approvals ({role})"] > 0, set(counts)
        assert counts[f"POST /approvals/[id]/approve ({role})"] > 0, set(counts)
    decided = dict(chain_stack.query(
        "SELECT level, count(*) FROM approval_logs WHERE level IS NOT NULL GROUP BY level"))
    assert all(decided.get(level, 0) > 0 for level in (1, 2, 3)), decided
