"""A travel-order (SPPD) app that is not Laravel: the kind of target examples/plain_sppd
load-tests. No CSRF, login by NIP, two approval levels (kaprodi, then dekan).

In memory and small on purpose: it is the example's target (and its test's), not a
reference. Run it with `.venv/bin/python -m uvicorn examples.plain_sppd.app:app --port 8100`.
Accounts: examples/plain_sppd/accounts.csv (role,nip,password).
"""

from __future__ import annotations

import csv
import itertools
import secrets
from dataclasses import dataclass
from html import escape
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

ACCOUNTS = Path(__file__).resolve().parent / "accounts.csv"
# Who approves a trip at each level, and the status it reaches after that approval.
LEVELS = {"kaprodi": ("menunggu kaprodi", "menunggu dekan"),
          "dekan": ("menunggu dekan", "disetujui")}


@dataclass
class Trip:
    id: int
    owner: str
    tujuan: str
    status: str = "menunggu kaprodi"


def _accounts() -> dict[str, tuple[str, str]]:
    with ACCOUNTS.open(newline="") as handle:
        return {row["nip"]: (row["role"], row["password"]) for row in csv.DictReader(handle)}


USERS = _accounts()
SESSIONS: dict[str, str] = {}  # token -> nip
TRIPS: dict[int, Trip] = {}
NEXT_ID = itertools.count(1)


def _user(request: Request) -> tuple[str, str] | None:
    nip = SESSIONS.get(request.cookies.get("sid", ""))
    return (nip, USERS[nip][0]) if nip else None


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!DOCTYPE html><title>{escape(title)}</title><h1>{escape(title)}</h1>"
                        f"{body}")


async def login(request: Request) -> Response:
    if request.method == "GET":
        return _page("Masuk", '<form method="post"><input name="nip"><input name="password" '
                              'type="password"></form>')
    form = await request.form()
    nip, password = str(form.get("nip", "")), str(form.get("password", ""))
    if USERS.get(nip, ("", None))[1] != password:
        return _page("NIP atau kata sandi salah", "")
    token = secrets.token_urlsafe(16)
    SESSIONS[token] = nip
    response = RedirectResponse("/trips" if USERS[nip][0] == "dosen" else "/inbox", 303)
    response.set_cookie("sid", token, httponly=True)
    return response


async def logout(request: Request) -> Response:
    SESSIONS.pop(request.cookies.get("sid", ""), None)
    return RedirectResponse("/auth/login", 303)


def _trip_list(trips: list[Trip]) -> str:
    return "<ul>" + "".join(f'<li data-trip-id="{t.id}">{escape(t.tujuan)}: {escape(t.status)}'
                            "</li>" for t in trips) + "</ul>"


async def trips(request: Request) -> Response:
    user = _user(request)
    if user is None or user[1] != "dosen":
        return RedirectResponse("/auth/login", 303)
    if request.method == "POST":
        form = await request.form()
        tujuan = str(form.get("tujuan", "")).strip()
        if not tujuan:
            return PlainTextResponse("tujuan wajib diisi", 422)
        trip = Trip(next(NEXT_ID), user[0], tujuan)
        TRIPS[trip.id] = trip
        return RedirectResponse(f"/trips/{trip.id}", 303)
    return _page("Perjalanan saya", _trip_list([t for t in TRIPS.values() if t.owner == user[0]]))


async def trip(request: Request) -> Response:
    user = _user(request)
    if user is None:
        return RedirectResponse("/auth/login", 303)
    item = TRIPS.get(int(request.path_params["trip_id"]))
    if item is None:
        return PlainTextResponse("tidak ada", 404)
    return _page(f"SPPD {item.id}", f'<p data-status="{escape(item.status)}">{escape(item.tujuan)}'
                                    "</p>")


async def inbox(request: Request) -> Response:
    user = _user(request)
    if user is None or user[1] not in LEVELS:
        return RedirectResponse("/auth/login", 303)
    waiting = LEVELS[user[1]][0]
    return _page("Menunggu persetujuan", _trip_list(
        [t for t in TRIPS.values() if t.status == waiting][:20]))


async def approve(request: Request) -> Response:
    user = _user(request)
    if user is None or user[1] not in LEVELS:
        return RedirectResponse("/auth/login", 303)
    item = TRIPS.get(int(request.path_params["trip_id"]))
    if item is None:
        return PlainTextResponse("tidak ada", 404)
    waiting, reached = LEVELS[user[1]]
    if item.status != waiting:
        return PlainTextResponse(f"status {item.status}", 409)  # decided meanwhile
    item.status = reached
    return RedirectResponse("/inbox", 303)


app = Starlette(routes=[
    Route("/auth/login", login, methods=["GET", "POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
    Route("/trips", trips, methods=["GET", "POST"]),
    Route("/trips/{trip_id:int}", trip),
    Route("/inbox", inbox),
    Route("/trips/{trip_id:int}/approve", approve, methods=["POST"]),
])
