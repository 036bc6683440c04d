"""Your own user classes (examples/plain_sppd) against a SPPD app that is not Laravel,
over two Locust workers started by SSH: uploaded with their local import, merged into
the same results contract, every approval level exercised."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from supervision.servers import SSHServer

pytestmark = pytest.mark.timeout(300)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "plain_sppd"


def test_your_own_locustfile_over_ssh_workers_merges_into_the_contract(
        tmp_path: Path, sshd: SSHServer, plain_sppd: str) -> None:
    campaign = tmp_path / "plain.toml"
    campaign.write_text(f"""
name = "plain-sppd"
[target]
kind = "url"
url = "{plain_sppd}"
accounts = "{EXAMPLE / 'accounts.csv'}"
[load]
locustfile = "{EXAMPLE / 'locustfile.py'}"
user_classes = {{ Dosen = 8, Kaprodi = 2, Dekan = 1 }}
shape = "constant"
users = 11
spawn_rate = 11
duration = "20s"
think_scale = 0.2
[distribution]
workers = 0
[[distribution.hosts]]
host = "127.0.0.1"
port = {sshd.port}
user = "{sshd.user}"
key = "{sshd.key}"
known_hosts = "{sshd.known_hosts}"
python = "{sys.executable}"
workers = 2
""")
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, "run_campaign.py", str(campaign), "--out", str(out),
                           "--quiet"], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert len([e for e in events if e["kind"] == "worker_joined"]) == 2
    with open(out / "requests.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    counts: dict[str, int] = {}
    for row in rows:
        key = f"{row['method']} {row['name']}"
        counts[key] = counts.get(key, 0) + int(row["count"])
    assert sum(int(row["failures"]) for row in rows) == 0
    # every class ran its flow; a trip passed both approval levels
    for name in ("POST /auth/login", "POST /trips", "GET /trips/[id]", "GET /inbox",
                 "POST /trips/[id]/approve (kaprodi)", "POST /trips/[id]/approve (dekan)"):
        assert counts.get(name, 0) > 0, (name, counts)
    with open(out / "locust" / "locust_stats.csv", newline="") as file:
        locust_total = next(int(row["Request Count"]) for row in csv.DictReader(file)
                            if row["Name"] == "Aggregated")
    assert sum(counts.values()) == locust_total  # the workers' reports merged whole
    with open(out / "users.csv", newline="") as file:
        steady = [row for row in csv.DictReader(file) if row["phase"] == "steady"]
    running = {row["user_class"]: int(row["users"]) for row in steady[-3:]}
    assert running == {"Dosen": 8, "Kaprodi": 2, "Dekan": 1}  # the campaign's weights
    analysis = json.loads((out / "analysis.json").read_text())
    assert analysis["verdicts"][0]["bottleneck"] == "none"


@pytest.mark.parametrize(("locustfile", "classes", "message"), [
    ("locustfile.py", "{ Dosen = 1, Rektor = 1 }",
     "load.user_classes: Rektor not found; the User classes are Dekan, Dosen, Kaprodi"),
    ("broken.py", "[]", "load.locustfile: {dir}/broken.py cannot be imported: "
                        "ModuleNotFoundError: No module named 'nowhere'"),
    ("shaped.py", "[]", "defines its own load shape (Waves); the campaign's [load] shape"),
    ("locustfile.py", '["Dosen", "Kaprodi"]',
     "no account of role kaprodi, which the user classes log in as: add rows to"),
])
def test_a_bad_locustfile_or_selection_fails_the_check_in_one_line(
        tmp_path: Path, locustfile: str, classes: str, message: str) -> None:
    (tmp_path / "broken.py").write_text("import nowhere\n")
    (tmp_path / "shaped.py").write_text(
        "from locust import HttpUser, LoadTestShape, task\n\n"
        "class Visitor(HttpUser):\n    @task\n    def home(self):\n        self.client.get('/')\n\n"
        "class Waves(LoadTestShape):\n    def tick(self):\n        return None\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("role,nip,password\ndosen,1,pw\n")
    path = EXAMPLE / "locustfile.py" if locustfile == "locustfile.py" else tmp_path / locustfile
    campaign = tmp_path / "bad.toml"
    campaign.write_text(f"""
name = "bad"
[target]
kind = "url"
url = "http://127.0.0.1:9"
accounts = "{accounts}"
[load]
locustfile = "{path}"
user_classes = {classes}
""")
    done = subprocess.run([sys.executable, "run_campaign.py", str(campaign), "--check"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3, done.stderr
    assert message.format(dir=tmp_path) in done.stderr
    assert "Traceback" not in done.stderr
