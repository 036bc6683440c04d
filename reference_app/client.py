"""A small Laravel-style browser client (session cookie + CSRF) for smoke runs and tests.

CSRF as Laravel's own JavaScript helpers do it: the `XSRF-TOKEN` cookie, URL-
decoded and sent back untouched as the `X-XSRF-TOKEN` header (Laravel encrypts
that cookie; only the server can read it). Every response refreshes the
cookie, so the token is never stale, even right after login rotates it.

Why not Locust: smoke checks and functional tests want plain sequential
requests with full responses; the load scenarios have their own client on
FastHttpUser.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

from reference_app.seed import PASSWORD, email_for

PAGE_TOKEN = re.compile(r'name="_token" value="([^"]+)"')


@dataclass
class EsppdClient:
    base_url: str
    timings: list[tuple[str, float, int]] = field(default_factory=list)
    http: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, name: str | None = None,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("allow_redirects", False)
        kwargs.setdefault("timeout", 30)
        started = time.perf_counter()
        response = self.http.request(method, self.base_url + path, **kwargs)
        self.timings.append((name or f"{method} {path}",
                             (time.perf_counter() - started) * 1000, response.status_code))
        return response

    def get(self, path: str, name: str | None = None, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, name, **kwargs)

    @property
    def xsrf_cookie(self) -> str:
        """The XSRF-TOKEN cookie as the server set it (opaque: encrypted by Laravel)."""
        return unquote(str(self.http.cookies.get("XSRF-TOKEN", "")))

    def post(self, path: str, data: dict[str, Any] | None = None, name: str | None = None,
             token: str | None = None, **kwargs: Any) -> requests.Response:
        """POST a form; `token` puts that `_token` field in instead of the XSRF header."""
        if token is None:
            kwargs["headers"] = {"X-XSRF-TOKEN": self.xsrf_cookie, **kwargs.get("headers", {})}
            form = dict(data or {})
        else:
            form = {"_token": token, **(data or {})}
        return self.request("POST", path, name, data=form, **kwargs)

    def login(self, role: str, number: int = 1, password: str = PASSWORD) -> requests.Response:
        self.get("/login", "GET /login")
        return self.post("/login", {"email": email_for(role, number), "password": password},
                         "POST /login")

    @staticmethod
    def page_token(response: requests.Response) -> str:
        """The plain CSRF token of a page's hidden `_token` field ('' if none)."""
        match = PAGE_TOKEN.search(response.text)
        return match.group(1) if match else ""

    @staticmethod
    def location_path(response: requests.Response) -> str:
        """The path of a redirect's Location (Laravel sends absolute URLs)."""
        return urlsplit(response.headers["location"]).path

    @staticmethod
    def location_id(response: requests.Response) -> int:
        """The trailing id of a redirect's Location (`/sppd/123` -> 123)."""
        return int(response.headers["location"].rstrip("/").rsplit("/", 1)[-1])

    def wait_ready(self, path: str, timeout: float = 60.0) -> dict[str, Any]:
        """Poll a document/export status (JSON) until it is ready or failed."""
        deadline = time.monotonic() + timeout
        while True:
            body: dict[str, Any] = self.get(path, f"GET /{path.split('/')[1]}/[id]", headers={
                "Accept": "application/json"}).json()
            if body["status"] != "queued" or time.monotonic() > deadline:
                return body
            time.sleep(0.2)
