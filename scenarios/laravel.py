"""Laravel-style browsing on a FastHttpUser client: session cookie, CSRF token, 419 retry.

CSRF the two ways Laravel accepts it, never mixed up:
- with an `XSRF-TOKEN` cookie (Laravel sets one on every response, encrypted),
  the cookie goes back URL-decoded and untouched in the `X-XSRF-TOKEN` header,
  as Laravel's own JavaScript helpers do; it is never stale, even right after
  login rotates the token;
- without one, the plain token of the last page's `_token` field or
  `<meta name="csrf-token">` goes into the form's token field.
A 419 (token expired or rotated) is retried once after loading a page, as a
browser user would by reloading; a second 419 is a failure.

A session the server lost (its store flushed or evicted, a deploy that changed the
key) sends the user to the login page: a page that lands there, a form redirected
there and a 401 from a JSON poll are failures named "session lost", and the user
signs in again before the next request, as a person on the login page would.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from locust.contrib.fasthttp import FastHttpSession, FastResponse

from scenarios.accounts import Account
from scenarios.aggregate import SESSION_LOST
from scenarios.routes import RouteMap

UNAUTHENTICATED = (401, 419)  # a JSON request without a session: no login, or no token


class LaravelBrowser:
    def __init__(self, client: FastHttpSession, routes: RouteMap) -> None:
        self.client = client
        self.routes = routes
        self.page_token = ""
        self.account: Account | None = None  # who signed in last, to sign in again
        self.signed_out = False  # the server lost the session: sign in before going on

    @property
    def xsrf_cookie(self) -> str:
        """The XSRF-TOKEN cookie, URL-decoded, as an opaque string ('' when there is none)."""
        for cookie in self.client.cookiejar:
            if cookie.name == "XSRF-TOKEN":
                return unquote(cookie.value or "")
        return ""

    def _csrf(self, form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """The form and headers of a POST, carrying the CSRF token one way or the other."""
        cookie = self.xsrf_cookie
        if cookie:
            return form, {"X-XSRF-TOKEN": cookie}
        return {self.routes.fields.token: self.page_token, **form}, {}

    def get(self, route: str, item_id: int | str | None = None,
            query: dict[str, Any] | None = None, **kwargs: Any) -> FastResponse:
        """GET a route by name, recorded under its template name (query strings left out)."""
        path = self.routes.path(route, item_id)
        if query:
            path = f"{path}?{urlencode(query)}"
        if route == "login":
            response = self.client.get(path, name=self.routes.name(route), **kwargs)
        else:
            self._sign_in_again()
            with self.client.get(path, name=self.routes.name(route), catch_response=True,
                                 **kwargs) as response:
                # the request, redirected in place, ends where the redirects led
                landed = urlsplit(str(response.request.url if response.request else "")).path
                if landed == self.routes.path("login"):
                    self._lost(response)
        self._remember_token(response)
        return response

    def post(self, route: str, data: dict[str, Any], item_id: int | str | None = None,
             refresh_route: str = "dashboard", expect: tuple[int, ...] = (200, 302),
             fails_if_redirected_to: str | None = None) -> FastResponse:
        """POST a form with the CSRF token; on 419 fetch a fresh token and retry once.

        `fails_if_redirected_to`: a redirect to this path is a failure (Laravel
        sends failed forms back where they came from).
        """
        path, name = self.routes.path(route, item_id), self.routes.name(route)
        guarded = route not in ("login", "logout")
        for attempt in (1, 2):
            if guarded:
                self._sign_in_again()
            form, headers = self._csrf(data)
            with self.client.post(path, data=form, headers=headers, name=name,
                                  allow_redirects=False, catch_response=True) as response:
                if response.status_code == 419 and attempt == 1:
                    response.success()  # not a user-visible failure yet: reload and resubmit
                    self.get(refresh_route)
                    continue
                if guarded and self._to_login(response):
                    self._lost(response)
                elif response.status_code not in expect:
                    response.failure(f"{response.status_code} on {name}")
                elif fails_if_redirected_to and redirect_path(response) == fails_if_redirected_to:
                    response.failure(f"{name} was sent back to {fails_if_redirected_to}")
                else:  # an expected 409/422 (decided meanwhile) is no failure either
                    response.success()
                return response
        raise AssertionError("unreachable")

    def login(self, account: Account) -> bool:
        """Sign in; a login counts only when its redirect leaves the login page.

        Laravel answers a wrong password with a redirect back to the form, so a
        302 alone proves nothing.
        """
        self.account, self.signed_out = account, False
        self.get("login")
        fields = self.routes.fields
        response = self.post("login", {fields.email: account.login,
                                       fields.password: account.password},
                             refresh_route="login", expect=(302,),
                             fails_if_redirected_to=self.routes.path("login"))
        return response.status_code == 302 and \
            redirect_path(response) != self.routes.path("login")

    def logout(self) -> None:
        """Sign out; nothing to do when the server already lost the session."""
        if not self.signed_out:
            self.post("logout", {}, refresh_route="dashboard", expect=(302,))

    def poll(self, route: str, item_id: int | str, timeout_s: float = 30.0,
             interval_s: float = 1.0) -> str:
        """Poll a queued document/export status (JSON) until it leaves `queued`."""
        deadline = time.monotonic() + timeout_s
        status = "queued"
        while time.monotonic() < deadline:
            self._sign_in_again()
            with self.client.get(self.routes.path(route, item_id), name=self.routes.name(route),
                                 headers={"Accept": "application/json"},
                                 catch_response=True) as response:
                if response.status_code in UNAUTHENTICATED:
                    self._lost(response)  # signed in again before the next poll
                else:
                    try:
                        status = response.json().get("status", "queued")
                    except ValueError:
                        response.failure("status page did not return JSON")
                        return "error"
            if status != "queued":
                return str(status)
            time.sleep(interval_s)
        return status

    def _to_login(self, response: FastResponse) -> bool:
        return response.status_code in (301, 302, 303, 307, 308) and \
            redirect_path(response) == self.routes.path("login")

    def _lost(self, response: Any) -> None:
        """Count a request the server answered as if nobody had signed in."""
        response.failure(SESSION_LOST)
        self.signed_out = self.account is not None

    def _sign_in_again(self) -> None:
        if self.signed_out and self.account is not None:
            self.login(self.account)

    def _remember_token(self, response: FastResponse) -> None:
        text = response.text or ""
        match = (re.search(self.routes.patterns.csrf_field, text)
                 or re.search(self.routes.patterns.csrf_meta, text))
        if match:
            self.page_token = match.group(1)


def redirect_path(response: FastResponse) -> str:
    """The path of a redirect's Location, absolute (Laravel) or not ('' if none)."""
    location = response.headers.get("location") if response.headers else None
    return urlsplit(str(location or "")).path


def location_id(response: FastResponse) -> str | None:
    """The trailing id of a redirect (`/sppd/123` or `http://host/sppd/123` -> '123')."""
    tail = redirect_path(response).rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None
