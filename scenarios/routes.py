"""Route map: where the eSPPD pages live and what their form fields are called.

Defaults match the reference app. A TOML file overrides any of them, so the
same scenarios drive a real Laravel eSPPD (other paths, Indonesian field
names, extra approval levels). Request names are the path templates with
`[id]` for ids, so their cardinality stays bounded.
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


@dataclass(frozen=True)
class RouteMap:
    paths: Paths = field(default_factory=Paths)
    fields: Fields = field(default_factory=Fields)
    patterns: Patterns = field(default_factory=Patterns)

    def path(self, route: str, item_id: int | str | None = None) -> str:
        template = getattr(self.paths, route)
        return template.replace("{id}", str(item_id)) if item_id is not None else template

    def name(self, route: str) -> str:
        """The request name: the route template with [id] (bounded cardinality)."""
        return getattr(self.paths, route).replace("{id}", "[id]")

    def find_all(self, pattern: str, text: str) -> list[str]:
        return re.findall(getattr(self.patterns, pattern), text)

    @classmethod
    def load(cls, path: Path | None) -> RouteMap:
        """Defaults, overridden by the [paths], [fields] and [patterns] tables of a TOML file."""
        if path is None:
            return cls()
        data = tomllib.loads(Path(path).read_text())
        unknown = set(data) - {"paths", "fields", "patterns"}
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
        return cls(**parts)
