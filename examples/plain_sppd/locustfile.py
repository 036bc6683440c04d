"""Your own user classes, for a travel-order app that is not Laravel.

The target (examples/plain_sppd/app.py) has no CSRF token, logs in by NIP and has two
approval levels: a lecturer's trip waits for the head of study programme (kaprodi),
then for the dean (dekan). Run it as a campaign (examples/plain_sppd/campaign.toml):
the harness adds the recorder, the shape, the workers, the collectors and the report.
"""

from __future__ import annotations

import random
from typing import ClassVar

from locust import FastHttpUser, task
from sppd_pages import DESTINATIONS, TRIP_ID  # next to this file: uploaded with it

from scenarios.api import next_account, think_time


class SppdUser(FastHttpUser):
    abstract = True
    role: ClassVar[str]
    think_s: ClassVar[tuple[float, float]] = (2.0, 6.0)

    def on_start(self) -> None:
        self.account = next_account(self, self.role)
        self.login()

    def wait_time(self) -> float:
        return think_time(self, *self.think_s)

    def login(self) -> None:
        """The NIP goes in the `nip` field: the CSV's login column is named after it."""
        with self.client.post("/auth/login", data={"nip": self.account.login,
                                                   "password": self.account.password},
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 303:
                response.failure(f"login as {self.account.login} answered "
                                 f"{response.status_code}")


class Dosen(SppdUser):
    """A lecturer: lists own trips, files new ones, looks one up."""

    role = "dosen"
    weight = 8

    @task(3)
    def my_trips(self) -> None:
        self.client.get("/trips")

    @task(2)
    def new_trip(self) -> None:
        with self.client.post("/trips", data={"tujuan": random.choice(DESTINATIONS)},
                              allow_redirects=False, catch_response=True) as response:
            if response.status_code != 303:
                response.failure(f"creating a trip answered {response.status_code}")
                return
            location = response.headers.get("location", "")
        self.client.get(location, name="/trips/[id]")


class Approver(SppdUser):
    """One approval level: the inbox holds the trips waiting for this role."""

    abstract = True

    @task(2)
    def inbox(self) -> None:
        self.client.get("/inbox")

    @task(3)
    def approve(self) -> None:
        waiting = TRIP_ID.findall(self.client.get("/inbox").text or "")
        if not waiting:
            return
        trip_id = random.choice(waiting)
        # 409: the other approver of this level decided it meanwhile
        with self.client.post(f"/trips/{trip_id}/approve", allow_redirects=False,
                              name=f"/trips/[id]/approve ({self.role})",
                              catch_response=True) as response:
            if response.status_code in (303, 409):
                response.success()


class Kaprodi(Approver):
    role = "kaprodi"
    weight = 2


class Dekan(Approver):
    role = "dekan"
    weight = 1
