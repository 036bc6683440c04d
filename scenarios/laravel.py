"""Laravel-style browsing on a FastHttpUser client: session cookie, CSRF token, 419 retry.

The token comes from the `XSRF-TOKEN` cookie (what Laravel's JS helpers use)
or, failing that, from the `_token` field of the last page. A 419 (token
expired or rotated) is retried once after fetching a fresh token from the
form page, as a browser user would by reloading; a second 419 is a failure.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote, urlencode

from locust.contrib.fasthttp import FastHttpSession, FastResponse

from scenarios.accounts import Account
from scenarios.routes import RouteMap


class LaravelBrowser:
    def __init__(self, client: FastHttpSession, routes: RouteMap) -> None:
        self.client = client
        self.routes = routes
        self.page_token = ""

    @property
    def token(self) -> str:
        for cookie in self.client.cookiejar:
            if cookie.name == "XSRF-TOKEN":
                return unquote(cookie.value or "")
        return self.page_token

    def get(self, route: str, item_id: int | str | None = None,
            query: dict[str, Any] | None = None, **kwargs: Any) -> FastResponse:
        """GET a route by name, recorded under its template name (query strings left out)."""
        path = self.routes.path(route, item_id)
        if query:
            path = f"{path}?{urlencode(query)}"
        response = self.client.get(path, name=self.routes.name(route), **kwargs)
        self._remember_token(response)
        return response

    def post(self, route: str, data: dict[str, Any], item_id: int | str | None = None,
             refresh_route: str = "dashboard", expect: tuple[int, ...] = (200, 302),
             ) -> FastResponse:
        """POST a form with the CSRF token; on 419 fetch a fresh token and retry once."""
        path, name = self.routes.path(route, item_id), self.routes.name(route)
        for attempt in (1, 2):
            form = {self.routes.fields.token: self.token, **data}
            with self.client.post(path, data=form, name=name, allow_redirects=False,
                                  catch_response=True) as response:
                if response.status_code == 419 and attempt == 1:
                    response.success()  # not a user-visible failure yet: reload and resubmit
                    self.get(refresh_route)
                    continue
                if response.status_code not in expect:
                    response.failure(f"{response.status_code} on {name}")
                return response
        raise AssertionError("unreachable")

    def login(self, account: Account) -> bool:
        self.get("login")
        fields = self.routes.fields
        response = self.post("login", {fields.email: account.email,
                                       fields.password: account.password},
                             refresh_route="login", expect=(302,))
        return response.status_code == 302

    def logout(self) -> None:
        self.post("logout", {}, refresh_route="dashboard", expect=(302,))

    def poll(self, route: str, item_id: int | str, timeout_s: float = 30.0,
             interval_s: float = 1.0) -> str:
        """Poll a queued document/export status (JSON) until it leaves `queued`."""
        deadline = time.monotonic() + timeout_s
        status = "queued"
        while time.monotonic() < deadline:
            with self.client.get(self.routes.path(route, item_id), name=self.routes.name(route),
                                 headers={"Accept": "application/json"},
                                 catch_response=True) as response:
                try:
                    status = response.json().get("status", "queued")
                except ValueError:
                    response.failure("status page did not return JSON")
                    return "error"
            if status != "queued":
                return str(status)
            time.sleep(interval_s)
        return status

    def _remember_token(self, response: FastResponse) -> None:
        text = response.text or ""
        match = re.search(self.routes.patterns.csrf_field, text)
        if match:
            self.page_token = match.group(1)


def location_id(response: FastResponse) -> str | None:
    """The trailing id of a redirect (`/sppd/123` -> '123'), if any."""
    location = response.headers.get("location") or ""
    tail = location.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None
