"""What the example's users read off the target's pages (a local import of its
locustfile: the harness uploads it to SSH worker hosts with the locustfile)."""

from __future__ import annotations

import re

TRIP_ID = re.compile(r'data-trip-id="(\d+)"')
DESTINATIONS = ("Yogyakarta", "Bandung", "Makassar", "Medan", "Denpasar")
