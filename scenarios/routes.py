"""Route map: where the eSPPD pages live, what their form fields are called, who approves.

Defaults match the reference app. A TOML file overrides any of them, so the
same scenarios drive a real Laravel eSPPD (other paths, Indonesian field
names). Its `[[approval_levels]]` list the approving roles, lowest level first
(kaprodi -> dekan -> ppk), each with its own inbox and decision paths when they
differ from `[paths]`; the approver users spread over the levels. Request names
are the path templates with `[id]` for ids, so their cardinality stays bounded;
with several levels the approval requests carry the role: `/approvals ([role])`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Paths:
    login: str = "/login"
    logout: str = "/logout"
    dashboard: str = "/dashboard"
    sppd_index: str = "/sppd"
    sppd_create: str = "/sppd/create"
    sppd_store: str = "/sppd"
    sppd_show: str = "/sppd/{id}"
    sppd_submit: str = "/sppd/{id}/submit"
    sppd_document: str = "/sppd/{id}/document"
    document_status: str = "/documents/{id}"
    approvals: str = "/approvals"
    approve: str = "/approvals/{id}/approve"
    reject: str = "/approvals/{id}/reject"
    laporan_index: str = "/laporan"
    laporan_store: str = "/laporan"
    report_monthly: str = "/reports/monthly"
    export_store: str = "/exports"
    export_status: str = "/exports/{id}"


@dataclass(frozen=True)
class Fields:
    token: str = "_token"
    email: str = "email"
    password: str = "password"
    tujuan: str = "tujuan_id"
    transportasi: str = "transportasi_id"
    maksud: str = "maksud"
    berangkat: str = "tanggal_berangkat"
    kembali: str = "tanggal_kembali"
    catatan: str = "catatan"
    laporan_sppd: str = "sppd_id"
    ringkasan: str = "ringkasan"
    biaya_riil: str = "biaya_riil"
    bulan: str = "bulan"
    tahun: str = "tahun"


@dataclass(frozen=True)
class Patterns:
    """Regexes (one group: the id) that find things in HTML pages."""

    sppd_id: str = r'data-sppd-id="(\d+)"'
    draft_id: str = r'data-sppd-id="(\d+)" data-status="draft"'
    awaiting_report: str = r'data-awaiting-sppd-id="(\d+)"'
    tujuan_option: str = r'<option value="(\d+)" data-uang-harian'
    transport_option: str = r'<option value="(\d+)" data-transportasi'
    csrf_field: str = r'name="_token" value="([^"]+)"'
    csrf_meta: str = r'<meta name="csrf-token" content="([^"]+)"'


APPROVAL_ROUTES = ("approvals", "approve", "reject")


@dataclass(frozen=True)
class ApprovalLevel:
    """One level of the target's approval chain: the role whose accounts decide there,
    and its own inbox and decision paths ('' = the ones in [paths])."""

    role: str
    approvals: str = ""
    approve: str = ""
    reject: str = ""


@dataclass(frozen=True)
class RouteMap:
    paths: Paths = field(default_factory=Paths)
    fields: Fields = field(default_factory=Fields)
    patterns: Patterns = field(default_factory=Patterns)
    approval_levels: tuple[ApprovalLevel, ...] = (ApprovalLevel("atasan"),)
    approver_role: str = ""  # set by for_level: the level whose approval requests these are

    def path(self, route: str, item_id: int | str | None = None) -> str:
        template = getattr(self.paths, route)
        return template.replace("{id}", str(item_id)) if item_id is not None else template

    def name(self, route: str) -> str:
        """The request name: the route template with [id] (bounded cardinality), and
        the level's role on approval requests when the chain has several levels."""
        name = getattr(self.paths, route).replace("{id}", "[id]")
        if self.approver_role and route in APPROVAL_ROUTES:
            return f"{name} ({self.approver_role})"
        return name

    def for_level(self, level: ApprovalLevel) -> RouteMap:
        """This map as an approver of `level` browses: the level's own paths, and its
        role in the approval requests' names when there are several levels."""
        own = {route: path for route in APPROVAL_ROUTES if (path := getattr(level, route))}
        return replace(self, paths=replace(self.paths, **own),
                       approver_role=level.role if len(self.approval_levels) > 1 else "")

    @property
    def approver_roles(self) -> tuple[str, ...]:
        return tuple(level.role for level in self.approval_levels)

    def find_all(self, pattern: str, text: str) -> list[str]:
        return re.findall(getattr(self.patterns, pattern), text)

    @classmethod
    def load(cls, path: Path | None) -> RouteMap:
        """Defaults, overridden by the [paths], [fields] and [patterns] tables and the
        [[approval_levels]] of a TOML file."""
        if path is None:
            return cls()
        data = tomllib.loads(Path(path).read_text())
        unknown = set(data) - {"paths", "fields", "patterns", "approval_levels"}
        if unknown:
            raise ValueError(f"route map {path}: unknown table(s) {', '.join(sorted(unknown))}")
        parts: dict[str, Any] = {}
        for table, default in (("paths", Paths()), ("fields", Fields()),
                               ("patterns", Patterns())):
            values = data.get(table, {})
            known = {f.name for f in fields(default)}
            bad = set(values) - known
            if bad:
                raise ValueError(f"route map {path}: unknown {table} key(s) "
                                 f"{', '.join(sorted(bad))}")
            if table == "patterns":
                for key, value in values.items():
                    try:
                        re.compile(value)
                    except re.error as error:
                        raise ValueError(f"route map {path}: patterns.{key}: {error}") from None
            parts[table] = replace(default, **values)
        if "approval_levels" in data:
            parts["approval_levels"] = _approval_levels(path, data["approval_levels"])
        return cls(**parts)


def _approval_levels(path: Path, tables: object) -> tuple[ApprovalLevel, ...]:
    """The [[approval_levels]] array of tables: one role each, distinct, in order."""
    if not isinstance(tables, list) or not tables or \
            not all(isinstance(table, dict) for table in tables):
        raise ValueError(f"route map {path}: approval_levels must be one or more "
                         "[[approval_levels]] tables")
    known = {f.name for f in fields(ApprovalLevel)}
    levels = []
    for number, table in enumerate(tables, 1):
        bad = set(table) - known
        if bad:
            raise ValueError(f"route map {path}: approval level {number}: unknown key(s) "
                             f"{', '.join(sorted(bad))}")
        if not isinstance(table.get("role"), str) or not table["role"].strip():
            raise ValueError(f"route map {path}: approval level {number} needs a role")
        if any(not isinstance(value, str) for value in table.values()):
            raise ValueError(f"route map {path}: approval level {number}: values are strings")
        levels.append(ApprovalLevel(**{**table, "role": table["role"].strip()}))
    roles = [level.role for level in levels]
    if len(set(roles)) != len(roles):
        raise ValueError(f"route map {path}: approval_levels repeat a role "
                         f"({' -> '.join(roles)}); each role decides at one level")
    return tuple(levels)
