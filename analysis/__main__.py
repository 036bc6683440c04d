"""`python -m analysis DIR [--slo KEY=VALUE ...]`: analyze a results directory.

Exit status: 0 all SLOs hold, 1 an SLO failed, 2 bad input (one message, no traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analysis.api import EXIT_BAD_INPUT, analyze
from analysis.errors import AnalysisError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis",
                                     description="Analyze an eSPPD load-lab results directory.")
    parser.add_argument("results_dir", type=Path)
    parser.add_argument("--slo", action="append", default=[], metavar="KEY=VALUE",
                        help="override an SLO limit, e.g. p95_ms=800 or error_rate=0.02")
    args = parser.parse_args(argv)
    try:
        overrides = _parse_overrides(args.slo)
        result = analyze(args.results_dir, overrides)
    except AnalysisError as error:
        print(f"analysis: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    top = result.verdicts[0]
    print(f"{top.bottleneck} (confidence {top.confidence:.2f}): {top.summary}")
    print(f"SLOs {'hold' if result.slo_ok else 'VIOLATED'}; report: "
          f"{result.outputs['report.html']}")
    return result.exit_code


def _parse_overrides(pairs: list[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise AnalysisError(f"--slo {pair!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise AnalysisError(f"--slo {pair!r}: {value!r} is not a number") from None
    return out


if __name__ == "__main__":
    sys.exit(main())
