"""The regression gate: a newer run fails when it is worse than its baseline by more
than the allowed change *and* beyond noise, for all pages together, in the whole
run or in any phase both have. Per-request rows inform but do not gate (with dozens
of requests, some differ by chance at 95%)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.latency import ALL


@dataclass(frozen=True)
class Allowance:
    p95_increase: float = 0.10         # +10% p95
    throughput_decrease: float = 0.05  # -5% requests per second
    error_rate_increase: float = 0.005  # +0.5 percentage points


@dataclass(frozen=True)
class Check:
    phase: str
    metric: str
    regressed: bool
    detail: str


def checks(rows: list[dict[str, Any]], allow: Allowance) -> list[Check]:
    out = []
    for row in (r for r in rows if r["request"] == ALL):
        p95, rps, errors = row["p95"], row["rps"], row["errors"]
        out.append(Check(row["phase"], "p95", p95["significant"] and
                         p95["ratio"] > 1 + allow.p95_increase,
                         f"p95 {p95['base']:.0f} -> {p95['new']:.0f} ms ({p95['ratio'] - 1:+.1%}, "
                         f"95% interval {p95['low'] - 1:+.1%}..{p95['high'] - 1:+.1%}; allowed "
                         f"+{allow.p95_increase:.0%})"))
        out.append(Check(row["phase"], "throughput", rps["significant"] and
                         rps["ratio"] < 1 - allow.throughput_decrease,
                         f"{rps['base']:.1f} -> {rps['new']:.1f} req/s ({rps['ratio'] - 1:+.1%}, "
                         f"95% interval {rps['low'] - 1:+.1%}..{rps['high'] - 1:+.1%}; allowed "
                         f"-{allow.throughput_decrease:.0%})"))
        rise = errors["new"] - errors["base"]
        out.append(Check(row["phase"], "error rate", errors["significant"] and
                         rise > allow.error_rate_increase,
                         f"errors {errors['base']:.2%} -> {errors['new']:.2%} ({rise * 100:+.2f} "
                         f"points; allowed +{allow.error_rate_increase * 100:.2f})"))
    return out


def write_junit(path: Path, results: list[Check], suite: str) -> None:
    """The gate as JUnit XML: one case per phase and metric, a failure per regression."""
    failures = sum(check.regressed for check in results)
    root = ET.Element("testsuites", name="eSPPD regression gate", tests=str(len(results)),
                      failures=str(failures))
    testsuite = ET.SubElement(root, "testsuite", name=suite, tests=str(len(results)),
                              failures=str(failures), skipped="0", errors="0")
    for check in results:
        case = ET.SubElement(testsuite, "testcase", classname=f"regression.{check.phase}",
                             name=check.metric)
        if check.regressed:
            ET.SubElement(case, "failure", message=check.detail).text = check.detail
        else:
            ET.SubElement(case, "system-out").text = check.detail
    ET.indent(root)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
