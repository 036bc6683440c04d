"""How often the top verdict was right, per confidence band, over matrices already run.

    .venv/bin/python -m harness.calibration results/validation-*/matrix.json \
        results/faults-*/matrix.json

Why: a confidence is only worth reading if a 0.9 is right more often than a 0.6; the
knob and fault matrices are the cases whose answer is known, so they measure it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

BANDS = ((0.9, 1.01), (0.7, 0.9), (0.5, 0.7), (0.0, 0.5))


def verdicts(paths: list[Path]) -> list[tuple[float, bool]]:
    """(confidence, correct) of every case that ran, from knob or fault matrix.json."""
    out = []
    for path in paths:
        data = json.loads(path.read_text())
        # {"cases": [...], ...}; fault matrices written before 2026-12-07: the list itself.
        cases = data.get("cases") if isinstance(data, dict) else data
        if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
            raise ValueError(f"{path}: not a knob or fault matrix.json")
        for case in cases:
            if not case.get("skipped") and "confidence" in case and "correct" in case:
                out.append((float(case["confidence"]), bool(case["correct"])))
    return out


def table(cases: list[tuple[float, bool]]) -> str:
    lines = ["| confidence | cases | right | share right |", "|---|---:|---:|---:|"]
    for low, high in BANDS:
        inside = [right for confidence, right in cases if low <= confidence < high]
        share = f"{sum(inside) / len(inside):.0%}" if inside else "-"
        lines.append(f"| {low:.1f}-{min(high, 1.0):.1f} | {len(inside)} | {sum(inside)} | "
                     f"{share} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.calibration",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("matrices", nargs="+", type=Path, help="matrix.json files")
    args = parser.parse_args(argv)
    try:
        cases = verdicts(args.matrices)
    except (OSError, ValueError) as error:
        print(f"calibration: cannot read a matrix: {error}", file=sys.stderr)
        return 2
    print(table(cases), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
