"""eSPPD load scenarios: `locust -f scenarios/locustfile.py` (locust.conf points here).

The three built-in user classes with what the harness adds to any locustfile
(options, recorder, the one shape chosen by --esppd-shape; the default `constant`
follows Locust's own -u/-r/-t): scenarios/esppd_harness.py.
"""

from __future__ import annotations

from scenarios.esppd_harness import EsppdShape
from scenarios.users import Atasan, Dosen, Keuangan

__all__ = ["Atasan", "Dosen", "EsppdShape", "Keuangan"]
