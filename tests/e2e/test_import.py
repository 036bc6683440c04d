"""Other tools' results through the normal analysis: ab for real (with the standalone
collectors sampling while it runs), Locust's own history for real, JMeter's JTL and
k6's JSON from files in their documented formats."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "imports"


def imported(tool: str, source: Path, out: Path, *extra: str
             ) -> tuple[subprocess.CompletedProcess[str], dict[str, int]]:
    """Run the import; (its process, request count and failures per `method name`)."""
    done = subprocess.run([sys.executable, "run_campaign.py", "--import", tool, str(source),
                           "--out", str(out), *extra], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    counts: dict[str, int] = {}
    if (out / "requests.csv").exists():
        with open(out / "requests.csv", newline="") as file:
            for row in csv.DictReader(file):
                key = f"{row['method']} {row['name']}"
                counts[key] = counts.get(key, 0) + int(row["count"])
                counts["failures"] = counts.get("failures", 0) + int(row["failures"])
    return done, counts


def users(out: Path) -> list[int]:
    with open(out / "users.csv", newline="") as file:
        return [int(row["users"]) for row in csv.DictReader(file)]


@pytest.mark.skipif(shutil.which("ab") is None, reason="apache2-utils (ab) is not installed")
def test_ab_with_the_standalone_collectors_end_to_end(plain_sppd: str, tmp_path: Path) -> None:
    collected = tmp_path / "collected"
    collectors = subprocess.Popen([sys.executable, "-m", "collectors", "--out", str(collected),
                                   "--duration", "8"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
    time.sleep(2)
    ab = subprocess.run(["ab", "-q", "-n", "4000", "-c", "8", "-g", str(tmp_path / "ab.tsv"),
                         f"{plain_sppd}/auth/login"], capture_output=True, text=True, timeout=60)
    assert ab.returncode == 0, ab.stderr
    assert "Complete requests:      4000" in ab.stdout
    collectors.wait(timeout=30)
    out = tmp_path / "results"
    done, counts = imported("ab", tmp_path / "ab.tsv", out, "--collectors", str(collected),
                            "--request-name", "/auth/login")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str(out)
    assert counts == {"GET /auth/login": 4000, "failures": 0}
    # users: the requests in flight each second, from ab's own timings (Little's law):
    # over the run they add up to the requests' total time, each second rounded
    with open(tmp_path / "ab.tsv", newline="") as file:
        busy_s = sum(float(row["ttime"]) for row in csv.DictReader(file, delimiter="\t")) / 1000
    running = users(out)
    assert busy_s > 0 and abs(sum(running) - busy_s) <= len(running) / 2, (running, busy_s)
    metrics = (out / "metrics.csv").read_text()
    assert ",cpu.util," in metrics and "proc.cpu{" in metrics  # the collectors' side
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["run"]["complete"] is True and analysis["requests"]
    assert (out / "report.html").is_file()
    assert tomllib.loads((out / "campaign.toml").read_text())["imported"]["tool"] == "ab"


def test_locust_stats_history_of_a_real_run(plain_sppd: str, tmp_path: Path) -> None:
    locustfile = tmp_path / "visit.py"
    locustfile.write_text("from locust import HttpUser, constant, task\n\n"
                          "class Visitor(HttpUser):\n    wait_time = constant(0.05)\n\n"
                          "    @task\n    def login_page(self):\n"
                          "        self.client.get('/auth/login')\n\n"
                          "    @task\n    def missing(self):\n"
                          "        self.client.get('/nothing-here')\n")
    run = subprocess.run([sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
                          "-u", "4", "-r", "4", "-t", "6s", "--host", plain_sppd, "--csv",
                          str(tmp_path / "run"), "--csv-full-history", "--only-summary"],
                         capture_output=True, text=True, timeout=60)
    with open(tmp_path / "run_stats.csv", newline="") as file:
        totals = {row["Name"]: (int(row["Request Count"]), int(row["Failure Count"]))
                  for row in csv.DictReader(file)}
    out = tmp_path / "results"
    done, counts = imported("locust", tmp_path / "run_stats_history.csv", out)
    assert done.returncode in (0, 1), done.stderr[-2000:] + run.stderr[-2000:]
    # the history's last row holds the totals up to its second, at most the final ones
    assert 0.7 * totals["/auth/login"][0] <= counts["GET /auth/login"] <= totals["/auth/login"][0]
    assert counts["GET /nothing-here"] > 0 and counts["failures"] == counts["GET /nothing-here"]
    assert max(users(out)) == 4
    analysis = json.loads((out / "analysis.json").read_text())
    assert any("rebuilt from its percentile" in note for note in analysis["notes"])


def test_jmeter_jtl(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done, counts = imported("jmeter", FIXTURES / "results.jtl", out)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert counts["failures"] == 10 and sum(
        count for key, count in counts.items() if key != "failures") == 450
    assert set(counts) == {"HTTP Login", "HTTP Dashboard", "HTTP Buat SPPD", "failures"}
    assert users(out)[0] == 5 and max(users(out)) == 10  # allThreads
    errors = (out / "errors.csv").read_text()
    assert "500 Test failed: code expected to be 200" in errors


def test_k6_json(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done, counts = imported("k6", FIXTURES / "k6.json", out)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    # ids in URLs become [id]: the names stay bounded
    assert counts == {"GET /dashboard": 120, "GET /sppd/[id]": 120, "failures": 1}
    assert users(out)[0] == 4 and max(users(out)) == 8  # vus
    assert "HTTP 503" in (out / "errors.csv").read_text()
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["start"].startswith("2026-01-01T09:00:00")  # +07:00 read as such


def test_a_file_of_another_kind_is_one_line_and_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "results"
    done, _ = imported("jmeter", FIXTURES / "k6.json", out)
    assert done.returncode == 2
    assert done.stderr.startswith("import failed: ") and "not a JMeter CSV JTL" in done.stderr
    assert "Traceback" not in done.stderr and not out.exists()
