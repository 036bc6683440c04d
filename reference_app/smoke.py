"""One walk through every role's main flow, with the latency of each page (ms)."""

from __future__ import annotations

import statistics
import sys
from collections import defaultdict
from datetime import date, timedelta

from reference_app.approvals import DEFAULT_CHAIN
from reference_app.client import EsppdClient
from reference_app.stack import EmbeddedStack


def walk(url: str, approval_chain: tuple[str, ...] = DEFAULT_CHAIN
         ) -> list[tuple[str, float, int]]:
    """Dosen creates and submits, each approval level approves (account 1 of each
    approving role covers dosen 1's unit 1), dosen reports and gets the .docx, keuangan
    reads the month-end recap and exports it. Returns (page, ms, status)."""
    dosen, keuangan = EsppdClient(url), EsppdClient(url)
    approvers = [EsppdClient(url) for _ in approval_chain]
    dosen.login("dosen", 1)
    dosen.get("/dashboard", "GET /dashboard")
    dosen.get("/sppd", "GET /sppd")
    dosen.get("/sppd/create", "GET /sppd/create")
    depart = date.today() + timedelta(days=14)
    created = dosen.post("/sppd", {
        "tujuan_id": 1, "transportasi_id": 1, "maksud": "Seminar nasional smoke",
        "tanggal_berangkat": depart.isoformat(),
        "tanggal_kembali": (depart + timedelta(days=2)).isoformat()}, "POST /sppd")
    sppd_id = dosen.location_id(created)
    dosen.get(f"/sppd/{sppd_id}", "GET /sppd/[id]")
    dosen.post(f"/sppd/{sppd_id}/submit", name="POST /sppd/[id]/submit")
    for role, approver in zip(approval_chain, approvers, strict=True):
        approver.login(role, 1)
        approver.get("/approvals", "GET /approvals")
        approver.post(f"/approvals/{sppd_id}/approve", name="POST /approvals/[id]/approve")
    document = dosen.post(f"/sppd/{sppd_id}/document", name="POST /sppd/[id]/document")
    dosen.wait_ready(f"/documents/{dosen.location_id(document)}")
    dosen.post("/laporan", {"sppd_id": sppd_id, "ringkasan": "Seminar berjalan dengan baik.",
                            "biaya_riil": 1_000_000}, "POST /laporan")
    dosen.get("/laporan", "GET /laporan")
    keuangan.login("keuangan", 1)
    keuangan.get("/reports/monthly", "GET /reports/monthly")
    export = keuangan.post("/exports", {"bulan": date.today().month,
                                        "tahun": date.today().year}, "POST /exports")
    keuangan.wait_ready(f"/exports/{keuangan.location_id(export)}")
    keuangan.get("/master/tujuan", "GET /master/[kind]")
    return dosen.timings + [timing for approver in approvers for timing in approver.timings] \
        + keuangan.timings


def run_smoke(stack: EmbeddedStack, rounds: int = 3) -> int:
    timings: dict[str, list[float]] = defaultdict(list)
    failures = []
    for _ in range(rounds):
        for name, ms, status in walk(stack.url, stack.config.approval_chain):
            timings[name].append(ms)
            if status >= 400:
                failures.append(f"{name} -> {status}")
    print(f"{'page':34} {'n':>3} {'median ms':>10} {'max ms':>8}")
    for name, values in timings.items():
        print(f"{name:34} {len(values):3d} {statistics.median(values):10.1f} {max(values):8.1f}")
    if failures:
        print("failures: " + ", ".join(failures), file=sys.stderr)
        return 1
    return 0
