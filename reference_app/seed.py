"""Deterministic seed data for the reference eSPPD database, loaded with COPY.

Why deterministic: tests, campaigns and the validation matrix must see the same
users, units and history for a given size and reference year, so results can be
compared run to run. Every account's password is `password` (as Laravel's
UserFactory does, all users share one hash); emails are `<role><nnnn>@esppd.test`:

- `dosen0001` ... `dosenNNNN`: lecturers, spread round-robin over the units
- `atasan0001` ... : one superior per unit; `atasanNNNN` heads unit NNNN
- `keuangan0001` ... : finance staff (unit 1, Bagian Keuangan)
- `admin0001`
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import bcrypt
import psycopg

from reference_app.schema import create_filter_indexes, create_schema

PASSWORD = "password"
EMAIL_DOMAIN = "esppd.test"


@dataclass(frozen=True)
class SeedSize:
    name: str
    units: int
    dosen: int
    keuangan: int
    years: int
    trips_per_dosen_year: int


SIZES: dict[str, SeedSize] = {
    "small": SeedSize("small", units=5, dosen=60, keuangan=3, years=2, trips_per_dosen_year=8),
    "default": SeedSize("default", units=30, dosen=600, keuangan=6, years=3,
                        trips_per_dosen_year=15),
    "large": SeedSize("large", units=60, dosen=3000, keuangan=10, years=5,
                      trips_per_dosen_year=36),
}

FACULTIES = ("Teknik", "Ekonomi dan Bisnis", "Hukum", "Kedokteran", "Pertanian", "MIPA",
             "Ilmu Sosial dan Ilmu Politik", "Keguruan dan Ilmu Pendidikan", "Ilmu Budaya",
             "Kesehatan Masyarakat")
TRANSPORT = (("Pesawat", "udara"), ("Kereta Api", "darat"), ("Bus", "darat"),
             ("Kendaraan Dinas", "darat"), ("Kapal Laut", "laut"), ("Travel", "darat"))
DESTINATIONS = (
    ("Jakarta", "DKI Jakarta", 530000), ("Bandung", "Jawa Barat", 430000),
    ("Surabaya", "Jawa Timur", 410000), ("Yogyakarta", "DI Yogyakarta", 420000),
    ("Semarang", "Jawa Tengah", 370000), ("Medan", "Sumatera Utara", 370000),
    ("Makassar", "Sulawesi Selatan", 430000), ("Denpasar", "Bali", 480000),
    ("Palembang", "Sumatera Selatan", 380000), ("Balikpapan", "Kalimantan Timur", 430000),
    ("Manado", "Sulawesi Utara", 370000), ("Padang", "Sumatera Barat", 380000),
    ("Pontianak", "Kalimantan Barat", 360000), ("Banjarmasin", "Kalimantan Selatan", 380000),
    ("Mataram", "Nusa Tenggara Barat", 440000), ("Kupang", "Nusa Tenggara Timur", 430000),
    ("Ambon", "Maluku", 380000), ("Jayapura", "Papua", 580000),
    ("Pekanbaru", "Riau", 370000), ("Malang", "Jawa Timur", 410000),
)
PURPOSES = ("Seminar nasional", "Konferensi internasional", "Rapat koordinasi",
            "Penelitian lapangan", "Pengabdian kepada masyarakat", "Pelatihan dosen",
            "Visitasi akreditasi", "Workshop kurikulum", "Penguji tamu", "Kerja sama institusi")
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "dosen": ("dashboard.view", "master.view", "sppd.create", "laporan.create",
              "documents.create"),
    "atasan": ("dashboard.view", "master.view", "sppd.create", "sppd.approve", "laporan.create",
               "documents.create"),
    "keuangan": ("dashboard.view", "master.view", "sppd.view-all", "laporan.view-all",
                 "reports.view", "exports.create", "documents.create"),
    "admin": ("dashboard.view", "master.view", "sppd.view-all", "laporan.view-all",
              "reports.view", "exports.create", "documents.create"),
}
GOLONGAN = ("III/a", "III/b", "III/c", "III/d", "IV/a", "IV/b", "IV/c")
JABATAN = ("Asisten Ahli", "Lektor", "Lektor Kepala", "Guru Besar")


@dataclass(frozen=True)
class SeedReport:
    size: str
    users: int
    sppd: int
    laporan: int
    approval_logs: int
    seconds: float


def email_for(role: str, number: int) -> str:
    """Login e-mail of the seeded account `number` (1-based) of a role."""
    return f"{role}{number:04d}@{EMAIL_DOMAIN}"


def seeded_years(size: SeedSize, reference_year: int) -> list[int]:
    """History years plus next year (trips planned ahead)."""
    return [*range(reference_year - size.years + 1, reference_year + 1), reference_year + 1]


class _Generator:
    """Builds rows in a fixed order from one seeded RNG, so output is reproducible."""

    def __init__(self, size: SeedSize, reference_day: date, password_hash: str) -> None:
        self.size = size
        self.today = reference_day
        self.rng = random.Random(f"esppd-{size.name}-{reference_day.isoformat()}")
        self.password_hash = password_hash
        self.dosen_ids: list[tuple[int, int]] = []  # (user_id, unit_id)
        self.atasan_by_unit: dict[int, int] = {}

    def units(self) -> Iterator[tuple[object, ...]]:
        faculties = min(len(FACULTIES), max(1, self.size.units // 3))
        for unit_id in range(1, self.size.units + 1):
            if unit_id == 1:
                yield (1, "UK001", "Bagian Keuangan", None)
            elif unit_id <= faculties + 1:
                yield (unit_id, f"UK{unit_id:03d}", f"Fakultas {FACULTIES[unit_id - 2]}", None)
            else:
                parent = 2 + (unit_id % faculties)
                yield (unit_id, f"UK{unit_id:03d}", f"Program Studi {unit_id:03d}", parent)

    def _nip(self, user_id: int) -> str:
        born = date(1960, 1, 1) + timedelta(days=self.rng.randrange(0, 14000))
        appointed = born.year + 25 + self.rng.randrange(0, 10)
        return (f"{born:%Y%m%d}{appointed}{self.rng.randrange(1, 13):02d}"
                f"{self.rng.randrange(1, 3)}{user_id % 1000:03d}")

    def users(self) -> Iterator[tuple[object, ...]]:
        created = datetime(self.today.year - self.size.years, 1, 1, tzinfo=UTC)
        user_id = 0

        def row(role: str, number: int, unit: int, jabatan: str) -> tuple[object, ...]:
            nonlocal user_id
            user_id += 1
            return (user_id, self._nip(user_id), f"{role.title()} {number:04d}",
                    email_for(role, number), self.password_hash, role, unit, jabatan,
                    self.rng.choice(GOLONGAN), created)

        yield row("admin", 1, 1, "Administrator")
        for number in range(1, self.size.keuangan + 1):
            yield row("keuangan", number, 1, "Staf Keuangan")
        for unit in range(1, self.size.units + 1):
            yield row("atasan", unit, unit, "Ketua Unit")
            self.atasan_by_unit[unit] = user_id
        for number in range(1, self.size.dosen + 1):
            unit = 1 + (number - 1) % self.size.units
            yield row("dosen", number, unit, self.rng.choice(JABATAN))
            self.dosen_ids.append((user_id, unit))

    def trips(self) -> Iterator[tuple[tuple[object, ...], tuple[object, ...] | None,
                                      list[tuple[object, ...]]]]:
        """Yield (sppd row, laporan row or None, approval log rows) per historical trip."""
        first_day = date(self.today.year - self.size.years + 1, 1, 1)
        span = (self.today - first_day).days + 60
        trips_per_user = self.size.trips_per_dosen_year * self.size.years
        sppd_id = 0
        travellers = self.dosen_ids + [(uid, unit) for unit, uid in self.atasan_by_unit.items()]
        for user_id, unit in travellers:
            for _ in range(trips_per_user):
                sppd_id += 1
                depart = first_day + timedelta(days=self.rng.randrange(span))
                back = depart + timedelta(days=self.rng.randrange(1, 6))
                dest = self.rng.randrange(len(DESTINATIONS))
                biaya = DESTINATIONS[dest][2] * ((back - depart).days + 1) + \
                    self.rng.randrange(8, 60) * 50000
                status = self._status(depart)
                created = datetime.combine(depart - timedelta(days=self.rng.randrange(7, 30)),
                                           datetime.min.time(), UTC)
                approver = self._approver(unit, user_id)
                approved = status in ("disetujui", "ditolak", "selesai")
                nomor = (f"{sppd_id:06d}/SPPD/UN/{depart.year}"
                         if status in ("disetujui", "selesai") else None)
                decided_at = created + timedelta(days=self.rng.randrange(1, 5))
                sppd = (sppd_id, nomor, user_id, unit, dest + 1,
                        self.rng.randrange(1, len(TRANSPORT) + 1),
                        self.rng.choice(PURPOSES), depart, back, biaya, status,
                        approver if approved else None, decided_at if approved else None,
                        created, decided_at if approved else created)
                laporan = None
                if status == "selesai":
                    laporan = (sppd_id, user_id, back + timedelta(days=self.rng.randrange(1, 6)),
                               f"Laporan {self.rng.choice(PURPOSES).lower()}",
                               int(biaya * self.rng.uniform(0.8, 1.0)))
                logs: list[tuple[object, ...]] = []
                if status != "draft":
                    logs.append((sppd_id, user_id, "diajukan", None, created))
                if approved:
                    action = "ditolak" if status == "ditolak" else "disetujui"
                    logs.append((sppd_id, approver, action, None, decided_at))
                yield sppd, laporan, logs

    def _approver(self, unit: int, user_id: int) -> int:
        """The unit's atasan; an atasan's own trips go to unit 1's head (never themselves)."""
        approver = self.atasan_by_unit[unit]
        if approver == user_id:
            approver = self.atasan_by_unit[1 if unit != 1 else 2]
        return approver

    def _status(self, depart: date) -> str:
        roll = self.rng.random()
        if depart < self.today - timedelta(days=7):
            return "selesai" if roll < 0.85 else ("ditolak" if roll < 0.95 else "disetujui")
        if depart < self.today:
            return "disetujui" if roll < 0.8 else "ditolak"
        return "diajukan" if roll < 0.6 else ("disetujui" if roll < 0.9 else "draft")


def seed(conn: psycopg.Connection, size_name: str, reference_day: date | None = None,
         with_indexes: bool = True, bcrypt_rounds: int = 10) -> SeedReport:
    """Create the schema and load a deterministic data set of the given size."""
    if size_name not in SIZES:
        raise ValueError(f"unknown seed size {size_name!r}; choose one of {', '.join(SIZES)}")
    started = time.perf_counter()
    size = SIZES[size_name]
    today = reference_day or date.today()
    years = seeded_years(size, today.year)
    create_schema(conn, years)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(bcrypt_rounds)).decode()
    gen = _Generator(size, today, password_hash)
    counts = {"users": 0, "sppd": 0, "laporan": 0, "logs": 0}
    with conn.cursor() as cur:
        _copy(cur, "unit_kerja", ("id", "kode", "nama", "parent_id"), gen.units())
        counts["users"] = _copy(cur, "users", (
            "id", "nip", "name", "email", "password", "role", "unit_kerja_id", "jabatan",
            "golongan", "created_at"), gen.users())
        _copy(cur, "transportasi", ("id", "nama", "jenis"),
              ((i, nama, jenis) for i, (nama, jenis) in enumerate(TRANSPORT, 1)))
        _copy(cur, "tujuan", ("id", "kota", "provinsi", "uang_harian"),
              ((i, *dest) for i, dest in enumerate(DESTINATIONS, 1)))
        _copy(cur, "pagu", ("id", "unit_kerja_id", "tahun", "jumlah"), (
            (n, unit, year, 2_000_000_000 if unit == 1 else 600_000_000)
            for n, (unit, year) in enumerate(
                ((u, y) for u in range(1, size.units + 1) for y in years), 1)))
        _copy(cur, "role_permissions", ("role", "permission"),
              ((role, perm) for role, perms in PERMISSIONS.items() for perm in perms))
        _copy(cur, "nomor_counter", ("tahun", "nomor"), ((year, 0) for year in years))
        counts.update(_copy_trips(cur, gen.trips()))
        cur.execute("SELECT setval('sppd_id_seq', (SELECT max(id) FROM sppd))")
        cur.execute("UPDATE nomor_counter c SET nomor = sub.n FROM (SELECT extract(year FROM "
                    "tanggal_berangkat)::int AS tahun, count(nomor) AS n FROM sppd GROUP BY 1) sub "
                    "WHERE c.tahun = sub.tahun")
        cur.execute("UPDATE pagu p SET terpakai = sub.total FROM (SELECT unit_kerja_id, "
                    "extract(year FROM tanggal_berangkat)::int AS tahun, sum(biaya) AS total "
                    "FROM sppd WHERE status IN ('disetujui', 'selesai') GROUP BY 1, 2) sub "
                    "WHERE p.unit_kerja_id = sub.unit_kerja_id AND p.tahun = sub.tahun")
    conn.commit()
    if with_indexes:
        create_filter_indexes(conn)
    autocommit = conn.autocommit
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = autocommit
    return SeedReport(size_name, counts["users"], counts["sppd"], counts["laporan"],
                      counts["logs"], time.perf_counter() - started)


def _copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...],
          rows: Iterator[tuple[object, ...]]) -> int:
    count = 0
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cur.copy(statement) as copy:  # type: ignore[arg-type]  # trusted identifiers
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _copy_trips(cur: psycopg.Cursor, trips: Iterator[tuple[tuple[object, ...],
                tuple[object, ...] | None, list[tuple[object, ...]]]]) -> dict[str, int]:
    """Load SPPD rows first, keeping the (smaller) report and log rows for two more COPYs."""
    laporan: list[tuple[object, ...]] = []
    logs: list[tuple[object, ...]] = []
    sppd_count = 0
    with cur.copy("COPY sppd (id, nomor, user_id, unit_kerja_id, tujuan_id, transportasi_id, "
                  "maksud, tanggal_berangkat, tanggal_kembali, biaya, status, approved_by, "
                  "approved_at, created_at, updated_at) FROM STDIN") as copy:
        for sppd_row, laporan_row, log_rows in trips:
            copy.write_row(sppd_row)
            sppd_count += 1
            if laporan_row is not None:
                laporan.append(laporan_row)
            logs.extend(log_rows)
    _copy(cur, "laporan_perjalanan", ("sppd_id", "user_id", "tanggal_laporan", "ringkasan",
                                      "biaya_riil"), iter(laporan))
    _copy(cur, "approval_logs", ("sppd_id", "user_id", "action", "catatan", "created_at"),
          iter(logs))
    return {"sppd": sppd_count, "laporan": len(laporan), "logs": len(logs)}
