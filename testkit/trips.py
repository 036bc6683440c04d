"""Test helper: a lecturer files a travel order through the real web form."""

from __future__ import annotations

from datetime import date, timedelta

from reference_app.client import EsppdClient


def new_trip(client: EsppdClient, days_ahead: int = 20, **overrides: object) -> int:
    """Create a draft SPPD as the signed-in user; its id."""
    depart = date.today() + timedelta(days=days_ahead)
    form = {"tujuan_id": 2, "transportasi_id": 1, "maksud": "Rapat koordinasi nasional",
            "tanggal_berangkat": depart.isoformat(),
            "tanggal_kembali": (depart + timedelta(days=1)).isoformat(), **overrides}
    response = client.post("/sppd", form)
    assert response.status_code == 302, response.text[:500]
    return client.location_id(response)
