"""Which account each simulated user logs in as: distinct across users and workers.

Seeded reference accounts follow `<role><nnnn>@<domain>` with one password;
a real target supplies an accounts CSV: `role`, `password` and one login column
named as the target's login field (`email`, `username`, `nip`, ...), any role
names (the built-in scenarios need dosen, keuangan and the route map's approving
roles, atasan by default). Numbering is
deterministic: the k-th user of a role on worker w (of W) takes slot k*W + w,
so workers never share an account until a role's pool is exhausted (then it
wraps, and the same account logs in twice).
"""

from __future__ import annotations

import csv
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("dosen", "atasan", "keuangan")  # the built-in user classes' roles
# The reference seed's accounts: the classes' roles, and the dean and PPK levels.
SEEDED_ROLES = (*ROLES, "dekan", "ppk")
DEFAULT_POOLS = "dosen=600,atasan=30,keuangan=6,dekan=11,ppk=2"  # the `default` seed size


@dataclass(frozen=True)
class Account:
    role: str
    login: str  # what the user types to sign in: an email, a username, a NIP
    password: str
    number: int  # 1-based within the role; atasan n heads unit n in the reference seed
    login_field: str = "email"  # the accounts CSV's name for it


@dataclass
class AccountPool:
    accounts: dict[str, list[Account]]
    worker_index: int = 0
    worker_count: int = 1
    _counters: dict[str, Iterator[int]] = field(default_factory=dict)

    @classmethod
    def seeded(cls, sizes: dict[str, int], domain: str = "esppd.test",
               password: str = "password") -> AccountPool:
        return cls({role: [Account(role, f"{role}{n:04d}@{domain}", password, n)
                           for n in range(1, count + 1)] for role, count in sizes.items()})

    @classmethod
    def from_csv(cls, path: Path) -> AccountPool:
        """`role,<login field>,password` rows; ValueError names the file and line."""
        accounts: dict[str, list[Account]] = defaultdict(list)
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            columns = [name.strip() for name in reader.fieldnames or []]
            logins = [name for name in columns if name not in ("role", "password")]
            if "role" not in columns or "password" not in columns or len(logins) != 1:
                raise ValueError(f"{path}: the header must be role, password and one login "
                                 f"column (email, username, nip, ...); it is {','.join(columns)}")
            login_field = logins[0]
            for line, row in enumerate(reader, start=2):
                role = (row.get("role") or "").strip().lower()
                login = (row.get(login_field) or "").strip()
                if not role or not login or not row.get("password"):
                    raise ValueError(f"{path}:{line}: need role, {login_field} and password")
                accounts[role].append(Account(role, login, row["password"],
                                              len(accounts[role]) + 1, login_field))
        if not accounts:
            raise ValueError(f"{path}: no accounts")
        return cls(dict(accounts))

    def missing(self, roles: tuple[str, ...]) -> list[str]:
        """The roles of `roles` this pool has no account for."""
        return [role for role in roles if not self.accounts.get(role)]

    def slot(self, series: str) -> int:
        """The next slot of a series: k*W + w for its k-th draw on worker w of W, so
        slots are distinct across workers and spread evenly over the whole run."""
        counter = self._counters.setdefault(series, itertools.count())
        return next(counter) * max(1, self.worker_count) + self.worker_index

    def next(self, role: str) -> Account:
        pool = self.accounts.get(role)
        if not pool:
            raise LookupError(f"no {role} accounts configured")
        return pool[self.slot(role) % len(pool)]


def login_roles(approver_roles: tuple[str, ...]) -> tuple[str, ...]:
    """The roles the built-in user classes log in as: ROLES, with the route map's
    approving roles in place of atasan (the Atasan class serves every level)."""
    return tuple(dict.fromkeys(login for role in ROLES for login in (
        approver_roles if role == "atasan" else (role,))))


def parse_sizes(text: str) -> dict[str, int]:
    """'dosen=600,atasan=30,keuangan=6' -> {'dosen': 600, ...}."""
    sizes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, _, count = item.partition("=")
        if role not in SEEDED_ROLES or not count.isdigit() or int(count) < 1:
            raise ValueError(f"bad account pool {item!r}: expected role=count with role in "
                             f"{', '.join(SEEDED_ROLES)}")
        sizes[role] = int(count)
    return sizes
