"""Deterministic seed data for the reference eSPPD database, on PostgreSQL or MariaDB.

Both apps load the very same rows (COPY into PostgreSQL, batched INSERTs into
MariaDB), so sizes and accounts are identical whichever app and engine run.
Why deterministic: tests, campaigns and the validation matrix must see the same
users, units and history for a given size and reference year, so results can be
compared run to run. Every account's password is `password` (as Laravel's
UserFactory does, all users share one `$2y$` hash); emails are `<role><nnnn>@esppd.test`:

- `dosen0001` ... `dosenNNNN`: lecturers, spread round-robin over the units
- `atasan0001` ... : one superior per unit; `atasanNNNN` heads unit NNNN
- `keuangan0001` ... : finance staff (unit 1, Bagian Keuangan)
- `admin0001`
- `dekan0001` ... : heads of the top-level units (unit 1 and the faculties);
  `dekanNNNN` heads unit NNNN
- `ppk0001`, `ppk0002`: commitment officers (unit 1), the university-wide level
The dekan and PPK decide only when the approval chain (reference_app/approvals.py)
has their level; they come last, with an RNG of their own, so the other rows are
the same whichever chain runs.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import bcrypt
import psycopg

from reference_app.approvals import DEFAULT_CHAIN, level_rows
from reference_app.schema import create_filter_indexes, create_schema

PASSWORD = "password"
EMAIL_DOMAIN = "esppd.test"
PPK_ACCOUNTS = 2


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
    "dekan": ("dashboard.view", "master.view", "sppd.create", "sppd.approve", "laporan.create",
              "documents.create"),
    "ppk": ("dashboard.view", "master.view", "sppd.approve", "sppd.view-all", "reports.view",
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


def faculty_count(size: SeedSize) -> int:
    return min(len(FACULTIES), max(1, size.units // 3))


def account_counts(size: SeedSize) -> dict[str, int]:
    """How many seeded accounts each role has (the load's account pools)."""
    return {"dosen": size.dosen, "atasan": size.units, "keuangan": size.keuangan,
            "dekan": faculty_count(size) + 1, "ppk": PPK_ACCOUNTS}


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
        faculties = faculty_count(self.size)
        for unit_id in range(1, self.size.units + 1):
            if unit_id == 1:
                yield (1, "UK001", "Bagian Keuangan", None)
            elif unit_id <= faculties + 1:
                yield (unit_id, f"UK{unit_id:03d}", f"Fakultas {FACULTIES[unit_id - 2]}", None)
            else:
                parent = 2 + (unit_id % faculties)
                yield (unit_id, f"UK{unit_id:03d}", f"Program Studi {unit_id:03d}", parent)

    @staticmethod
    def _nip(rng: random.Random, user_id: int) -> str:
        born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 14000))
        appointed = born.year + 25 + rng.randrange(0, 10)
        return (f"{born:%Y%m%d}{appointed}{rng.randrange(1, 13):02d}"
                f"{rng.randrange(1, 3)}{user_id % 1000:03d}")

    def users(self) -> Iterator[tuple[object, ...]]:
        created = datetime(self.today.year - self.size.years, 1, 1, tzinfo=UTC)
        user_id = 0

        def row(role: str, number: int, unit: int, jabatan: str,
                rng: random.Random = self.rng) -> tuple[object, ...]:
            nonlocal user_id
            user_id += 1
            return (user_id, self._nip(rng, user_id), f"{role.title()} {number:04d}",
                    email_for(role, number), self.password_hash, role, unit, jabatan,
                    rng.choice(GOLONGAN), created)

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
        approvers = random.Random(f"esppd-approvers-{self.size.name}")
        for unit in range(1, faculty_count(self.size) + 2):
            yield row("dekan", unit, unit, "Dekan" if unit > 1 else "Kepala Biro", approvers)
        for number in range(1, PPK_ACCOUNTS + 1):
            yield row("ppk", number, 1, "Pejabat Pembuat Komitmen", approvers)

    def trips(self, levels: int) -> Iterator[tuple[tuple[object, ...], tuple[object, ...] | None,
                                      list[tuple[object, ...]]]]:
        """Yield (sppd row, laporan row or None, approval log rows) per historical trip;
        an approved trip has passed all `levels` of the chain, and the submitted ones wait
        at every level in turn (a live chain has work at each level when a campaign starts)."""
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
                        created, decided_at if approved else created,
                        levels if nomor else (sppd_id % levels if status == "diajukan" else 0))
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


class RowLoader(Protocol):
    """Bulk-loads rows into one engine's tables and runs its own SQL."""

    engine: str

    def load(self, table: str, columns: tuple[str, ...],
             rows: Iterable[tuple[object, ...]]) -> int: ...

    def execute(self, statement: str) -> None: ...


class PostgresLoader:
    """COPY FROM STDIN: the fastest way into PostgreSQL."""

    engine = "postgresql"

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def load(self, table: str, columns: tuple[str, ...],
             rows: Iterable[tuple[object, ...]]) -> int:
        count = 0
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.conn.cursor() as cur, cur.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    def execute(self, statement: str) -> None:
        self.conn.execute(statement)


class MySQLLoader:
    """Multi-row INSERTs in batches (PyMySQL's executemany), timestamps as naive UTC."""

    engine = "mysql"
    batch = 2000

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def load(self, table: str, columns: tuple[str, ...],
             rows: Iterable[tuple[object, ...]]) -> int:
        statement = (f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608  # trusted identifiers
                     f"VALUES ({', '.join(['%s'] * len(columns))})")
        count = 0
        converted = (tuple(map(_naive_utc, row)) for row in rows)
        with self.conn.cursor() as cur:
            while chunk := list(itertools.islice(converted, self.batch)):
                cur.executemany(statement, chunk)
                count += len(chunk)
        return count

    def execute(self, statement: str) -> None:
        with self.conn.cursor() as cur:
            cur.execute(statement)


def _naive_utc(value: object) -> object:
    """MySQL TIMESTAMP takes no offset: send UTC wall time."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


# After the rows: sequences, the yearly number counters and the budgets used.
FINISH_SQL = {
    "postgresql": (
        "SELECT setval('sppd_id_seq', (SELECT max(id) FROM sppd))",
        "UPDATE nomor_counter c SET nomor = sub.n FROM (SELECT extract(year FROM "
        "tanggal_berangkat)::int AS tahun, count(nomor) AS n FROM sppd GROUP BY 1) sub "
        "WHERE c.tahun = sub.tahun",
        "UPDATE pagu p SET terpakai = sub.total FROM (SELECT unit_kerja_id, "
        "extract(year FROM tanggal_berangkat)::int AS tahun, sum(biaya) AS total "
        "FROM sppd WHERE status IN ('disetujui', 'selesai') GROUP BY 1, 2) sub "
        "WHERE p.unit_kerja_id = sub.unit_kerja_id AND p.tahun = sub.tahun",
    ),
    "mysql": (
        "UPDATE nomor_counter c JOIN (SELECT YEAR(tanggal_berangkat) AS tahun, "
        "count(nomor) AS n FROM sppd GROUP BY 1) sub ON c.tahun = sub.tahun SET c.nomor = sub.n",
        "UPDATE pagu p JOIN (SELECT unit_kerja_id, YEAR(tanggal_berangkat) AS tahun, "
        "sum(biaya) AS total FROM sppd WHERE status IN ('disetujui', 'selesai') GROUP BY 1, 2) "
        "sub ON p.unit_kerja_id = sub.unit_kerja_id AND p.tahun = sub.tahun "
        "SET p.terpakai = sub.total",
    ),
}


def password_hash(rounds: int) -> str:
    """The one bcrypt hash every account shares, in PHP's `$2y$` spelling (Laravel's)."""
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds)).decode()
    return "$2y$" + hashed.removeprefix("$2b$")


def load_rows(loader: RowLoader, size_name: str, reference_day: date | None = None,
              bcrypt_rounds: int = 10,
              approval_chain: tuple[str, ...] = DEFAULT_CHAIN) -> SeedReport:
    """Load the deterministic data set of a size into an existing, empty schema."""
    levels = level_rows(approval_chain)
    if size_name not in SIZES:
        raise ValueError(f"unknown seed size {size_name!r}; choose one of {', '.join(SIZES)}")
    started = time.perf_counter()
    size = SIZES[size_name]
    today = reference_day or date.today()
    years = seeded_years(size, today.year)
    gen = _Generator(size, today, password_hash(bcrypt_rounds))
    loader.load("unit_kerja", ("id", "kode", "nama", "parent_id"), gen.units())
    users = loader.load("users", (
        "id", "nip", "name", "email", "password", "role", "unit_kerja_id", "jabatan",
        "golongan", "created_at"), gen.users())
    loader.load("transportasi", ("id", "nama", "jenis"),
                ((i, nama, jenis) for i, (nama, jenis) in enumerate(TRANSPORT, 1)))
    loader.load("tujuan", ("id", "kota", "provinsi", "uang_harian"),
                ((i, *dest) for i, dest in enumerate(DESTINATIONS, 1)))
    loader.load("pagu", ("id", "unit_kerja_id", "tahun", "jumlah"), (
        (n, unit, year, 2_000_000_000 if unit == 1 else 600_000_000)
        for n, (unit, year) in enumerate(
            ((u, y) for u in range(1, size.units + 1) for y in years), 1)))
    loader.load("role_permissions", ("role", "permission"),
                ((role, perm) for role, perms in PERMISSIONS.items() for perm in perms))
    loader.load("nomor_counter", ("tahun", "nomor"), ((year, 0) for year in years))
    loader.load("approval_levels", ("level", "role", "scope"), levels)
    counts = _load_trips(loader, gen.trips(len(levels)))
    for statement in FINISH_SQL[loader.engine]:
        loader.execute(statement)
    return SeedReport(size_name, users, counts["sppd"], counts["laporan"], counts["logs"],
                      time.perf_counter() - started)


def seed(conn: psycopg.Connection, size_name: str, reference_day: date | None = None,
         with_indexes: bool = True, bcrypt_rounds: int = 10,
         approval_chain: tuple[str, ...] = DEFAULT_CHAIN) -> SeedReport:
    """The Python app's database: schema, data, filter indexes, fresh statistics."""
    started = time.perf_counter()
    today = reference_day or date.today()
    if size_name in SIZES:
        create_schema(conn, seeded_years(SIZES[size_name], today.year))
    report = load_rows(PostgresLoader(conn), size_name, today, bcrypt_rounds, approval_chain)
    conn.commit()
    if with_indexes:
        create_filter_indexes(conn)
    autocommit = conn.autocommit
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE")
    conn.autocommit = autocommit
    return replace(report, seconds=time.perf_counter() - started)


def _load_trips(loader: RowLoader, trips: Iterator[tuple[tuple[object, ...],
                tuple[object, ...] | None, list[tuple[object, ...]]]]) -> dict[str, int]:
    """Load SPPD rows first, keeping the (smaller) report and log rows for two more loads."""
    laporan: list[tuple[object, ...]] = []
    logs: list[tuple[object, ...]] = []

    def sppd_rows() -> Iterator[tuple[object, ...]]:
        for sppd_row, laporan_row, log_rows in trips:
            yield sppd_row
            if laporan_row is not None:
                laporan.append(laporan_row)
            logs.extend(log_rows)

    sppd_count = loader.load("sppd", (
        "id", "nomor", "user_id", "unit_kerja_id", "tujuan_id", "transportasi_id", "maksud",
        "tanggal_berangkat", "tanggal_kembali", "biaya", "status", "approved_by", "approved_at",
        "created_at", "updated_at", "approval_level"), sppd_rows())
    loader.load("laporan_perjalanan", ("sppd_id", "user_id", "tanggal_laporan", "ringkasan",
                                       "biaya_riil"), laporan)
    loader.load("approval_logs", ("sppd_id", "user_id", "action", "catatan", "created_at"), logs)
    return {"sppd": sppd_count, "laporan": len(laporan), "logs": len(logs)}
