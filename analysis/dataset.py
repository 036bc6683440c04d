"""Results directory -> typed pandas frames (docs/DATA-CONTRACT.md).

Why strict and tolerant at once: a corrupt file must fail with one message that
names the file and line, but a crashed writer leaves a partial last line, and a
crashed campaign must still be analyzable, so exactly that line may be dropped.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import DatasetError
from analysis.schema import (
    BLOCKERS,
    CAMPAIGN_FILE,
    CSV_SPECS,
    ERRORS,
    EVENTS_FILE,
    FLOAT,
    INT,
    MAYBE,
    METRICS,
    PROCESSES,
    QUERIES,
    REQUESTS,
    SESSIONS,
    STATEMENTS,
    STR,
    TABLES,
    USERS,
    CsvSpec,
)
from scenarios.histogram import Histogram


@dataclass(frozen=True)
class Dataset:
    """Every file of one results directory as typed frames; absent optional files are empty."""

    root: Path
    campaign: dict[str, Any]
    events: pd.DataFrame
    requests: pd.DataFrame
    errors: pd.DataFrame
    users: pd.DataFrame
    metrics: pd.DataFrame
    statements: pd.DataFrame
    queries: pd.DataFrame
    tables: pd.DataFrame
    blockers: pd.DataFrame
    processes: pd.DataFrame
    sessions: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def has_statements(self) -> bool:
        return not self.statements.empty


def read_dataset(root: Path) -> Dataset:
    """Read a results directory; raise DatasetError with one clear message on bad input."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: not a results directory (it does not exist or is a file)")
    notes: list[str] = []
    frames = {spec.filename: read_csv(root, spec, notes) for spec in
              CSV_SPECS}
    metrics = split_metric_labels(frames[METRICS.filename])
    _check_histograms(frames[REQUESTS.filename], root / REQUESTS.filename)
    campaign = read_campaign(root)
    imported = campaign.get("imported")
    if isinstance(imported, dict):  # another tool's results (importers/): say what it lacks
        notes.append(f"imported from {imported.get('tool')} ({imported.get('file')})"
                     + (f"; {imported['note']}" if imported.get("note") else ""))
    return Dataset(
        root=root,
        campaign=campaign,
        events=read_events(root, notes),
        requests=frames[REQUESTS.filename],
        errors=frames[ERRORS.filename],
        users=frames[USERS.filename],
        metrics=metrics,
        statements=frames[STATEMENTS.filename],
        queries=frames[QUERIES.filename].drop_duplicates("queryid", keep="last"),
        tables=frames[TABLES.filename],
        blockers=frames[BLOCKERS.filename],
        processes=frames[PROCESSES.filename],
        sessions=frames[SESSIONS.filename],
        notes=notes,
    )


def read_campaign(root: Path) -> dict[str, Any]:
    path = root / CAMPAIGN_FILE
    if not path.is_file():
        raise DatasetError(f"{path}: missing (the resolved campaign config is required)")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"{path}: not valid TOML ({error})") from None


def read_events(root: Path, notes: list[str]) -> pd.DataFrame:
    """events.jsonl -> frame (ts, kind, data); a partial last line is dropped."""
    path = root / EVENTS_FILE
    rows: list[dict[str, Any]] = []
    if not path.is_file():
        notes.append(f"{EVENTS_FILE} absent: phases come from users.csv only")
    else:
        text = _read_text(path)
        lines = text.split("\n")
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                ts = float(record["ts"])
                kind = str(record["kind"])
            except (ValueError, KeyError, TypeError) as error:
                if number == len(lines) and not text.endswith("\n"):
                    notes.append(f"{EVENTS_FILE}: dropped a truncated last line")
                    break
                raise DatasetError(f"{path} line {number}: not a JSON event ({error})") from None
            data = {k: v for k, v in record.items() if k not in ("ts", "kind")}
            rows.append({"ts": ts, "kind": kind, "data": data})
    frame = pd.DataFrame(rows, columns=["ts", "kind", "data"])
    return frame.astype({"ts": FLOAT, "kind": "str"}).sort_values("ts", kind="stable")


def read_csv(root: Path, spec: CsvSpec, notes: list[str]) -> pd.DataFrame:
    """One contract CSV -> typed frame sorted by ts; empty typed frame if optional and absent."""
    path = root / spec.filename
    if not path.is_file():
        if spec.required:
            raise DatasetError(f"{path}: missing (required by the results-directory contract)")
        notes.append(f"{spec.filename} absent")
        return empty_frame(spec)
    text = _read_text(path)
    if not text.strip():
        if spec.required:
            raise DatasetError(f"{path}: empty (expected a header row: {','.join(spec.names)})")
        return empty_frame(spec)
    header, _, _ = text.partition("\n")
    columns = next(csv.reader([header]))
    missing = [name for name in spec.names if name not in columns and name not in spec.added]
    if missing:
        raise DatasetError(f"{path}: header lacks column(s) {', '.join(missing)}")
    body, tail = _split_partial_line(text)
    frame = _parse(path, body, spec)
    if tail:
        last = _parse_tail(header + "\n" + tail + "\n", spec)
        if last is None:
            notes.append(f"{spec.filename}: dropped a truncated last line")
        else:
            frame = pd.concat([frame, last], ignore_index=True) if len(frame) else last
    for name in spec.added - set(frame.columns):  # written before the contract had it
        frame[name] = pd.Series(math.nan, index=frame.index,  # not measured
                                dtype=_read_dtypes(spec)[name])
    for name in spec.added & set(columns):
        if spec.dtypes[name] == STR:  # present: an empty cell is measured and empty
            frame[name] = frame[name].fillna("")
    frame = frame[spec.names]
    if "ts" in frame.columns:
        frame = frame.sort_values("ts", kind="stable", ignore_index=True)
    return frame


def empty_frame(spec: CsvSpec) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=_read_dtypes(spec)[name])
                         for name, _ in spec.columns})


def split_metric_labels(metrics: pd.DataFrame) -> pd.DataFrame:
    """Add `base` and `label` columns: `proc.cpu{postgres}` -> (`proc.cpu`, `postgres`)."""
    parts = metrics["metric"].str.extract(r"^([^{]+)(?:\{([^}]*)\})?$")
    out = metrics.copy()
    out["base"] = parts[0].fillna(metrics["metric"]).astype("str")
    out["label"] = parts[1].fillna("").astype("str")
    return out


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"{path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise DatasetError(f"{path}: cannot be read ({error.strerror})") from None


def _split_partial_line(text: str) -> tuple[str, str]:
    """(complete lines, partial last line). Writers end every row with a newline."""
    if text.endswith("\n"):
        return text, ""
    cut = text.rfind("\n")
    return text[: cut + 1], text[cut + 1:]


def _parse(path: Path, body: str, spec: CsvSpec) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(body), dtype=_read_dtypes(spec), keep_default_na=False,
                            na_values={n: [""] for n, t in spec.columns if t != "str"})
        _check_types(frame, spec)
        return frame
    except (ValueError, pd.errors.ParserError) as error:
        raise DatasetError(f"{path}: corrupt ({_locate(body, spec) or error})") from None


def _parse_tail(text: str, spec: CsvSpec) -> pd.DataFrame | None:
    """The partial last row if it is complete and well typed, else None."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=_read_dtypes(spec), keep_default_na=False,
                            na_values={n: [""] for n, t in spec.columns if t != "str"})
        _check_types(frame, spec)
        # A cut inside the hist cell can still decode: its total then disagrees with count.
        if spec is REQUESTS and Histogram.decode(
                str(frame["hist"].iloc[0])).total() != int(frame["count"].iloc[0]):
            return None
    except (ValueError, pd.errors.ParserError, IndexError):
        return None
    if len(frame) != 1 or _locate(text, spec):
        return None
    return frame


def _read_dtypes(spec: CsvSpec) -> dict[str, str]:
    # Integers are read as float first so a missing cell is reported, not silently NaN-cast.
    return {name: (FLOAT if dtype in (INT, MAYBE) else dtype) for name, dtype in spec.columns}


def _check_types(frame: pd.DataFrame, spec: CsvSpec) -> None:
    for name, dtype in spec.columns:
        if dtype in ("str", MAYBE) or name not in frame.columns:
            continue
        values = frame[name]
        if values.isna().any():
            raise ValueError(f"column {name} has an empty or non-numeric cell")
        if dtype == INT:
            if ((values % 1) != 0).any():
                raise ValueError(f"column {name} has a non-integer value")
            frame[name] = values.astype(INT)


def _locate(body: str, spec: CsvSpec) -> str | None:
    """Name the first bad line (wrong field count or a non-numeric number) for the message."""
    reader = csv.reader(io.StringIO(body))
    header = next(reader, None)
    if header is None:
        return None
    index = {name: header.index(name) for name in spec.names if name in header}
    for row in reader:
        line = reader.line_num
        if len(row) != len(header):
            return f"line {line}: expected {len(header)} fields, got {len(row)}"
        for name, dtype in spec.columns:
            if dtype == "str" or name not in index or (dtype == MAYBE and row[index[name]] == ""):
                continue
            cell = row[index[name]]
            try:
                number = float(cell)
            except ValueError:
                return f"line {line}: {name}={cell!r} is not a number"
            if math.isnan(number) or (dtype == INT and not number.is_integer()):
                return f"line {line}: {name}={cell!r} is not a valid {dtype}"
    return None


def _check_histograms(requests: pd.DataFrame, path: Path) -> None:
    """Reject an undecodable histogram cell early (vectorized: decoding comes later, once)."""
    valid = requests["hist"].str.fullmatch(r"(?:-?\d+:\d+(?:;-?\d+:\d+)*)?")
    if not valid.all():
        bad = requests.loc[~valid].iloc[0]
        raise DatasetError(
            f"{path}: corrupt (row ts={bad['ts']} name={bad['name']!r}: hist "
            f"{str(bad['hist'])[:40]!r} is not key:count pairs)"
        )
