"""Which account each simulated user logs in as: distinct across users and workers.

Seeded reference accounts follow `<role><nnnn>@<domain>` with one password;
a real target supplies an accounts CSV (`role,email,password`). Numbering is
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

ROLES = ("dosen", "atasan", "keuangan")


@dataclass(frozen=True)
class Account:
    role: str
    email: str
    password: str
    number: int  # 1-based within the role; atasan n heads unit n in the reference seed


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
        accounts: dict[str, list[Account]] = defaultdict(list)
        with open(path, newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                role = (row.get("role") or "").strip().lower()
                if role not in ROLES or not row.get("email") or not row.get("password"):
                    raise ValueError(f"{path}:{line}: need role (one of {', '.join(ROLES)}), "
                                     "email and password")
                accounts[role].append(Account(role, row["email"].strip(), row["password"],
                                              len(accounts[role]) + 1))
        return cls(dict(accounts))

    def next(self, role: str) -> Account:
        pool = self.accounts.get(role)
        if not pool:
            raise LookupError(f"no {role} accounts configured")
        counter = self._counters.setdefault(role, itertools.count())
        slot = next(counter) * max(1, self.worker_count) + self.worker_index
        return pool[slot % len(pool)]


def parse_sizes(text: str) -> dict[str, int]:
    """'dosen=600,atasan=30,keuangan=6' -> {'dosen': 600, ...}."""
    sizes = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        role, _, count = item.partition("=")
        if role not in ROLES or not count.isdigit() or int(count) < 1:
            raise ValueError(f"bad account pool {item!r}: expected role=count with role in "
                             f"{', '.join(ROLES)}")
        sizes[role] = int(count)
    return sizes
