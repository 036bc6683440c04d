"""`make validate`: does the analysis name every bottleneck injected into the reference app?

For the baseline and for each knob of the reference app (its bad value), run the
validation campaign against the embedded stack, analyze it, and compare the top
verdict with the class the knob is meant to create. The analysis never sees the
knobs: each case is a separate `run_campaign.py` whose results are all it reads.
Writes results/validation-<ts>/matrix.md and matrix.json.

    .venv/bin/python -m harness.validate [--app python|laravel] [--db mariadb] [--only NAME ...]
    .venv/bin/python -m harness.validate --reanalyze results/validation-<ts>

`--app laravel` runs the knobs Laravel has (its own included) against the
Laravel target on PHP-FPM and nginx; the campaigns and expectations are the same.
`--db mariadb` runs them on MariaDB, read by the MySQL collector.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.stopping import interrupt_on_term, run_passing_interrupts
from reference_app.knobs import AS_BASELINE, KNOB_SPECS

ROOT = Path(__file__).resolve().parent.parent
# What the baseline may saturate on when pushed: a resource of the machine, not a defect.
BASELINE_SATURATION = ("app.cpu", "host.cpu", "db.cpu", "app.workers")


@dataclass(frozen=True)
class Case:
    name: str
    knobs: tuple[tuple[str, str], ...]
    expected: tuple[str, ...]  # acceptable top verdicts
    campaign: str = ""         # a different campaign file (the moderate baseline)
    min_cpus: int = 1          # below this the knob cannot bind before the host saturates


@dataclass
class Outcome:
    case: str
    knobs: str
    expected: str
    named: str
    confidence: float
    onset_users: float | None
    evidence: str
    correct: bool
    wall_s: float
    results: str
    exit_code: int
    skipped: bool = False      # not applicable on this host: too few CPUs for the knob


def cases(campaign: Path, moderate: Path, app: str = "python") -> list[Case]:
    return [
        Case("baseline (moderate load)", (), ("none",), str(moderate)),
        Case("baseline (saturation)", (), BASELINE_SATURATION, str(campaign)),
        *(Case(spec.name, ((spec.name, spec.bad_value(app)),),
               BASELINE_SATURATION if spec.expected(app) == AS_BASELINE
               else (spec.expected(app),), str(campaign), spec.min_cpus)
          for spec in KNOB_SPECS if app in spec.apps),
    ]


def run_case(case: Case, out: Path, app: str = "python", db: str = "postgresql") -> Outcome:
    argv = [sys.executable, str(ROOT / "run_campaign.py"), case.campaign, "--out", str(out),
            "--quiet", "--app", app, "--db", db]
    for name, value in case.knobs:
        argv += ["--knob", f"{name}={value}"]
    started = time.monotonic()
    with open(out.parent / f"{out.name}.log", "w") as log:
        code = run_passing_interrupts(argv, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    return outcome_of(case, out, code, time.monotonic() - started)


def skipped_case(case: Case, cpus: int) -> Outcome:
    """A knob that cannot bind on this host: say so instead of expecting its class."""
    knobs = ", ".join(f"{name}={value}" for name, value in case.knobs)
    return Outcome(case.name, knobs, " or ".join(case.expected), "not run", 0.0, None,
                   f"needs at least {case.min_cpus} CPUs to bind before the host's CPU "
                   f"saturates; this host has {cpus} (run it anyway with --ignore-cpus)",
                   False, 0.0, "", 0, skipped=True)


def analyze_again(results: Path) -> int:
    """`run_campaign.py --analyze` on results already collected (after a change to the
    analysis); its exit code."""
    argv = [sys.executable, str(ROOT / "run_campaign.py"), "--analyze", str(results), "--quiet"]
    return subprocess.run(argv, cwd=ROOT, capture_output=True, check=False).returncode


def reanalyze_case(case: Case, out: Path, previous: dict[str, Any]) -> Outcome:
    """Analyze an earlier case's results again (after a change to the analysis)."""
    code = analyze_again(out)
    return outcome_of(case, out, int(previous.get("exit_code", code)),
                      float(previous.get("wall_s", 0.0)))


def top_verdict(results: Path) -> dict[str, Any] | None:
    """The first verdict of a results directory's analysis.json, or None if there is none."""
    try:
        return dict(json.loads((results / "analysis.json").read_text())["verdicts"][0])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def outcome_of(case: Case, out: Path, code: int, wall: float) -> Outcome:
    knobs = ", ".join(f"{name}={value}" for name, value in case.knobs) or "-"
    top = top_verdict(out)
    if top is None:
        return Outcome(case.name, knobs, " or ".join(case.expected), "(no analysis)", 0.0,
                       None, f"run_campaign.py exited {code}; see {out.name}.log", False,
                       wall, str(out), code)
    return Outcome(case.name, knobs, " or ".join(case.expected), top["bottleneck"],
                   float(top["confidence"]), top.get("onset_users"),
                   (top.get("evidence") or [top.get("summary", "")])[0],
                   top["bottleneck"] in case.expected, wall, str(out), code)


def markdown(outcomes: list[Outcome], wall_s: float) -> str:
    correct = sum(outcome.correct for outcome in outcomes)
    ran = [outcome for outcome in outcomes if not outcome.skipped]
    skipped = len(outcomes) - len(ran)
    note = f"; {skipped} not applicable on this host" if skipped else ""
    lines = [f"# Validation matrix: {correct}/{len(ran)} named correctly{note}",
             "", f"Wall time {wall_s / 60:.1f} min.", "",
             "| case | knob | expected | named | confidence | onset (users) | key evidence |",
             "|---|---|---|---|---:|---:|---|"]
    for o in outcomes:
        mark = "n/a" if o.skipped else "ok" if o.correct else "**WRONG**"
        onset = f"{o.onset_users:.0f}" if o.onset_users is not None else "-"
        evidence = o.evidence.replace("|", "\\|")
        lines.append(f"| {o.case} | {o.knobs} | {o.expected} | {o.named} ({mark}) | "
                     f"{o.confidence:.2f} | {onset} | {evidence} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.validate",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--campaign", type=Path, default=ROOT / "campaigns" / "validate.toml")
    parser.add_argument("--moderate", type=Path,
                        default=ROOT / "campaigns" / "validate-moderate.toml")
    parser.add_argument("--app", choices=("python", "laravel"), default="python",
                        help="the embedded reference app to validate against")
    parser.add_argument("--db", choices=("postgresql", "mariadb"), default="postgresql",
                        help="its database (mariadb: laravel only)")
    parser.add_argument("--only", nargs="*", default=[], help="case names to run")
    parser.add_argument("--out", type=Path, help="default: results/validation-<ts>")
    parser.add_argument("--ignore-cpus", action="store_true",
                        help="also run knobs that need more CPUs than this host has")
    parser.add_argument("--reanalyze", type=Path, metavar="MATRIX_DIR",
                        help="re-analyze the cases of an earlier run (no new campaigns)")
    args = parser.parse_args(argv)
    if args.db == "mariadb" and args.app != "laravel":
        parser.error("--db mariadb needs --app laravel (the Python app runs on PostgreSQL)")
    previous: dict[str, dict[str, Any]] = {}
    app, db = args.app, args.db
    if args.reanalyze:
        try:
            matrix = json.loads((args.reanalyze / "matrix.json").read_text())
            previous = {c["case"]: c for c in matrix["cases"]}
        except (OSError, ValueError, KeyError, TypeError) as error:
            print(f"validate: {args.reanalyze}/matrix.json: cannot read it ({error})",
                  file=sys.stderr)
            return 2
        # Judged against the cases of the app it ran on, whatever --app says.
        app, db = matrix.get("app", app), matrix.get("db", db)
    selected = [case for case in cases(args.campaign, args.moderate, app)
                if not args.only or case.name.split(" ")[0] in args.only
                or case.name in args.only]
    if not selected:
        print(f"validate: no case named {args.only}", file=sys.stderr)
        return 2
    if args.reanalyze:
        out = args.reanalyze
        selected = [case for case in selected if case.name in previous]
    else:
        engine = "-mariadb" if db == "mariadb" else ""
        out = args.out or ROOT / "results" / (f"validation-{app}{engine}-"
                                              f"{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            out.mkdir(parents=True, exist_ok=False)
        except OSError as error:
            print(f"validate: cannot create {out}: {error.strerror}; choose another --out",
                  file=sys.stderr)
            return 2
    interrupt_on_term()
    started = time.monotonic()
    outcomes: list[Outcome] = []
    wall = 0.0
    cpus = os.cpu_count() or 1
    for index, case in enumerate(selected, 1):
        doing = "analyzing again" if args.reanalyze else "running"
        print(f"[validate] {index}/{len(selected)} {case.name}: {doing}", flush=True)
        slug = case.name.split(" ")[0] + ("-moderate" if "moderate" in case.name else "")
        try:
            if args.reanalyze and previous[case.name].get("skipped"):
                outcome = Outcome(**previous[case.name])
            elif args.reanalyze and not (out / slug).is_dir():
                print(f"[validate] {case.name}: its results are not in {out / slug}; kept as "
                      "it was", file=sys.stderr, flush=True)
                outcome = Outcome(**previous[case.name])
            elif args.reanalyze:
                outcome = reanalyze_case(case, out / slug, previous[case.name])
            elif cpus < case.min_cpus and not args.ignore_cpus:
                outcome = skipped_case(case, cpus)
            else:
                outcome = run_case(case, out / slug, app, db)
        except KeyboardInterrupt:
            print(f"[validate] stopped; the matrix so far is in {out}", file=sys.stderr)
            return 4
        outcomes.append(outcome)
        verdict = "n/a" if outcome.skipped else "ok" if outcome.correct else "WRONG"
        print(f"[validate] {index}/{len(selected)} {case.name}: expected {outcome.expected}, "
              f"named {outcome.named} ({outcome.confidence:.2f}) {verdict} "
              f"in {outcome.wall_s:.0f} s", flush=True)
        wall = sum(o.wall_s for o in outcomes) if args.reanalyze else time.monotonic() - started
        (out / "matrix.json").write_text(json.dumps(
            {"app": app, "db": db, "wall_s": round(wall, 1),
             "cases": [asdict(o) for o in outcomes]}, indent=2))
        (out / "matrix.md").write_text(markdown(outcomes, wall))
    print(markdown(outcomes, wall))
    print(out)
    return 0 if all(o.correct or o.skipped for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
