"""The eSPPD users: lecturers (Dosen), approvers (Atasan) and finance (Keuangan).

Approvers serve the route map's approval levels (one unit head, or kaprodi ->
dekan -> PPK): each Atasan user decides at one level per visit and logs in with
that level's role; the phase activity of role `atasan` paces them all.

Each simulated user logs in as its own account, browses like a person (think
times from the eSPPD plan, scaled by the current phase's activity for its
role), and now and then ends the visit and logs in again. In the open model
(the arrival-rate shape) each user is a visitor slot instead: it waits for an
arrival, visits as someone new, and leaves (scenarios/arrivals.py). Queued work (the
.docx, the .xlsx) is polled until ready, and the wait is recorded as a JOB
"request", so queue turnaround sits next to page latency in the results.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import date, timedelta
from typing import Any, ClassVar

from locust import FastHttpUser, task

from scenarios.accounts import Account
from scenarios.aggregate import INTERVAL_KEY, JOB_METHOD
from scenarios.arrivals import next_visit
from scenarios.context import ScenarioContext
from scenarios.laravel import LaravelBrowser, location_id
from scenarios.routes import RouteMap

PURPOSES = ("Seminar nasional", "Konferensi internasional", "Rapat koordinasi",
            "Penelitian lapangan", "Pengabdian kepada masyarakat", "Workshop kurikulum",
            "Visitasi akreditasi", "Penguji tamu")
STATUSES = ("diajukan", "disetujui", "ditolak", "selesai")


class EsppdUser(FastHttpUser):
    abstract = True
    role: ClassVar[str]
    think_s: ClassVar[tuple[float, float]] = (3.0, 10.0)

    def on_start(self) -> None:
        context = ScenarioContext.of(self.environment)
        self.scenario = context
        self.routes = self.routes_for(context)
        self.browser = LaravelBrowser(self.client, self.routes)
        self.account: Account = context.accounts.next(self.account_role)
        self.known_ids: list[str] = []
        next_visit(self)  # open model: this visitor waits for its first arrival
        self.browser.login(self.account)

    @property
    def account_role(self) -> str:
        """The role of the accounts this user logs in as."""
        return self.role

    @classmethod
    def account_roles(cls, routes: RouteMap) -> tuple[str, ...]:
        """Every role this class's users may log in as (pre-flight checks each has accounts)."""
        return (cls.role,)

    def routes_for(self, context: ScenarioContext) -> RouteMap:
        """The route map this user browses with."""
        return context.routes

    def _think_factor(self) -> float:
        """think_scale over the current phase's activity for this role."""
        activity = getattr(self.environment, "esppd_activity", {}).get(self.role, 1.0)
        return self.scenario.think_scale / max(activity, 0.05)

    def wait_time(self) -> float:
        return random.uniform(*self.think_s) * self._think_factor()

    def context(self) -> dict[str, Any]:
        """Each request carries this user's expected interval, its mean think time now:
        the recorder corrects for coordinated omission with it (requests chained in one
        task count as paced by it too: an approximation, said in the report)."""
        if not hasattr(self, "scenario"):  # before on_start
            return {}
        return {INTERVAL_KEY: sum(self.think_s) / 2 * self._think_factor() * 1000}

    @task(1)
    def new_visit(self) -> None:
        """End the visit. Closed model: the same person comes back later (logout, login:
        sessions are not forever). Open model: the visitor leaves, and the next arrival
        is someone else, in a fresh browser."""
        self.browser.logout()
        self.prepare_visit(someone_new=next_visit(self))
        self.browser.login(self.account)

    def prepare_visit(self, someone_new: bool) -> None:
        """Who comes next: the same person (closed model) or someone new, with their own
        account, in a fresh browser."""
        if someone_new:
            self.client.cookiejar.clear()
            self.browser = LaravelBrowser(self.client, self.routes)
            self.account = self.scenario.accounts.next(self.account_role)
            self.known_ids = []

    def remember_ids(self, html: str, pattern: str = "sppd_id") -> list[str]:
        ids = self.routes.find_all(pattern, html)
        if ids:
            self.known_ids = ids[:30]
        return ids

    def wait_for_job(self, route: str, item_id: str, what: str) -> None:
        """Poll a queued job and record its turnaround as a JOB request."""
        started = time.perf_counter()
        status = self.browser.poll(route, item_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        error = None if status == "ready" else RuntimeError(f"{what} ended {status}")
        self.environment.events.request.fire(
            request_type=JOB_METHOD, name=f"{what} ready", response_time=elapsed_ms,
            response_length=0, exception=error, context={}, url=None, response=None)


class Dosen(EsppdUser):
    """A lecturer: checks the dashboard and own SPPD, submits trips, gets the letter, reports."""

    role = "dosen"
    weight = 85
    think_s = (3.0, 10.0)

    @task(4)
    def dashboard(self) -> None:
        self.remember_ids(self.browser.get("dashboard").text or "")

    @task(3)
    def my_sppd(self) -> None:
        page = random.choice((1, 1, 1, 2, 3))
        self.remember_ids(self.browser.get("sppd_index", query={"page": page}).text or "")

    @task(3)
    def view_sppd(self) -> None:
        if not self.known_ids:
            self.my_sppd()
        if self.known_ids:
            self.browser.get("sppd_show", random.choice(self.known_ids))

    @task(2)
    def submit_new_sppd(self) -> None:
        form_page = self.browser.get("sppd_create").text or ""
        destinations = self.routes.find_all("tujuan_option", form_page) or ["1"]
        transports = self.routes.find_all("transport_option", form_page) or ["1"]
        depart = date.today() + timedelta(days=random.randint(7, 60))
        fields = self.routes.fields
        created = self.browser.post("sppd_store", {
            fields.tujuan: random.choice(destinations),
            fields.transportasi: random.choice(transports),
            fields.maksud: f"{random.choice(PURPOSES)} {depart:%B %Y}",
            fields.berangkat: depart.isoformat(),
            fields.kembali: (depart + timedelta(days=random.randint(0, 4))).isoformat(),
        }, refresh_route="sppd_create", expect=(302,))
        sppd_id = location_id(created)
        if sppd_id is None:
            return
        self.browser.get("sppd_show", sppd_id)
        self.browser.post("sppd_submit", {}, sppd_id, refresh_route="dashboard", expect=(302,))
        self.known_ids.insert(0, sppd_id)

    @task(1)
    def travel_order_document(self) -> None:
        if not self.known_ids:
            self.my_sppd()
        if not self.known_ids:
            return
        response = self.browser.post("sppd_document", {}, random.choice(self.known_ids),
                                     expect=(302,))
        document_id = location_id(response)
        if document_id is not None:
            self.wait_for_job("document_status", document_id, "document")

    @task(1)
    def trip_report(self) -> None:
        page = self.browser.get("laporan_index").text or ""
        awaiting = self.routes.find_all("awaiting_report", page)
        if not awaiting:
            return
        fields = self.routes.fields
        self.browser.post("laporan_store", {
            fields.laporan_sppd: random.choice(awaiting),
            fields.ringkasan: "Kegiatan terlaksana sesuai rencana; hasil dilaporkan ke unit.",
            fields.biaya_riil: random.randint(8, 40) * 100_000,
        }, refresh_route="laporan_index", expect=(302, 422))  # 422: filed meanwhile


class Atasan(EsppdUser):
    """An approver: reviews the SPPD waiting for their level and approves about 85% of
    them. Which level (and so which role logs in) comes from the route map's chain."""

    role = "atasan"
    weight = 10
    think_s = (3.0, 8.0)

    @property
    def account_role(self) -> str:
        return self.level.role

    @classmethod
    def account_roles(cls, routes: RouteMap) -> tuple[str, ...]:
        return routes.approver_roles

    def routes_for(self, context: ScenarioContext) -> RouteMap:
        self.level = context.rota.take()
        logging.getLogger(__name__).debug("an approver starts at the %s level on worker %d",
                                          self.level.role, context.accounts.worker_index)
        return context.routes.for_level(self.level)

    def prepare_visit(self, someone_new: bool) -> None:
        """With several levels, each visit decides at the next level, as its approver
        (scenarios/rota.py): no level stays unstaffed for a whole run (trips would pile
        up there)."""
        if len(self.routes.approval_levels) > 1:
            self.level = self.scenario.rota.move_on(self.level)
            self.routes = self.scenario.routes.for_level(self.level)
            someone_new = True
        super().prepare_visit(someone_new)

    def on_stop(self) -> None:
        if hasattr(self, "level"):  # stopped before on_start chose one: nothing to give back
            self.scenario.rota.release(self.level)

    @task(4)
    def pending(self) -> None:
        self.remember_ids(self.browser.get("approvals").text or "")

    @task(2)
    def review(self) -> None:
        if not self.known_ids:
            self.pending()
        if self.known_ids:
            self.browser.get("sppd_show", random.choice(self.known_ids))

    @task(4)
    def decide(self) -> None:
        if not self.known_ids:
            self.pending()
        if not self.known_ids:
            return
        sppd_id = self.known_ids.pop(random.randrange(len(self.known_ids)))
        # 409/422: decided meanwhile (another session of the same approver).
        if random.random() < 0.85:
            self.browser.post("approve", {}, sppd_id, refresh_route="approvals",
                              expect=(302, 409, 422))
        else:
            self.browser.post("reject", {self.routes.fields.catatan:
                                         "Mohon lengkapi undangan kegiatan."}, sppd_id,
                              refresh_route="approvals", expect=(302, 409, 422))

    @task(2)
    def dashboard(self) -> None:
        self.browser.get("dashboard")


class Keuangan(EsppdUser):
    """Finance: month-end recaps by unit, filtered lists, the .xlsx export."""

    role = "keuangan"
    weight = 5
    think_s = (5.0, 15.0)

    def _month(self) -> tuple[int, int]:
        back = random.randint(0, 11)
        month_index = date.today().year * 12 + date.today().month - 1 - back
        return month_index % 12 + 1, month_index // 12

    @task(3)
    def monthly_report(self) -> None:
        month, year = self._month()
        fields = self.routes.fields
        self.browser.get("report_monthly", query={fields.bulan: month, fields.tahun: year})

    @task(3)
    def filtered_list(self) -> None:
        month, year = self._month()
        start = date(year, month, 1)
        self.browser.get("sppd_index", query={
            "status": random.choice(STATUSES), "dari": start.isoformat(),
            "sampai": (start + timedelta(days=30)).isoformat(),
            "page": random.choice((1, 1, 2))})

    @task(1)
    def export(self) -> None:
        month, year = self._month()
        fields = self.routes.fields
        response = self.browser.post("export_store", {fields.bulan: month, fields.tahun: year},
                                     refresh_route="report_monthly", expect=(302,))
        export_id = location_id(response)
        if export_id is not None:
            self.wait_for_job("export_status", export_id, "export")

    @task(1)
    def dashboard(self) -> None:
        self.browser.get("dashboard")
