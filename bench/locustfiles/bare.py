"""Bare Locust: one FastHttpUser, no wait, GET / (the benchmark's reference)."""

from __future__ import annotations

from locust import FastHttpUser, constant, task


class Bare(FastHttpUser):
    wait_time = constant(0)

    @task
    def index(self) -> None:
        self.client.get("/")
