from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg

from reference_app.seed import SIZES, account_counts, email_for, seed
from supervision.servers import PostgresServer

FINGERPRINT = ("SELECT md5(string_agg(id || user_id::text || tanggal_berangkat::text || biaya::text"
               " || status, ',' ORDER BY id)) FROM sppd")


def test_seed_is_deterministic_and_credentials_are_derivable(tmp_path: Path) -> None:
    prints = []
    for run in range(2):
        with PostgresServer(tmp_path / str(run)) as server, \
                psycopg.connect(server.dsn) as conn:
            report = seed(conn, "small", reference_day=date(2026, 11, 24), bcrypt_rounds=4)
            prints.append(conn.execute(FINGERPRINT).fetchone()[0])
            roles = dict(conn.execute("SELECT role, count(*) FROM users GROUP BY role").fetchall())
            assert conn.execute("SELECT count(*) FROM users WHERE email = %s",
                                (email_for("dosen", 60),)).fetchone()[0] == 1
    assert prints[0] == prints[1]
    assert report.sppd > 1000 and report.laporan > 0 and report.approval_logs > report.sppd
    assert roles == {"admin": 1, "keuangan": 3, "atasan": 5, "dosen": 60, "dekan": 2, "ppk": 2}
    assert roles == {"admin": 1, **account_counts(SIZES["small"])}  # the load's account pools
