#!/usr/bin/env python3
"""Run an eSPPD load campaign: `python run_campaign.py CAMPAIGN.toml [flags]`.

The last line on stdout is the results directory. Exit codes: see harness/exitcodes.py
(0 SLOs met, 1 SLOs failed, 2 config error, 3 pre-flight failed, 4 aborted, 5 no data).
"""

# Locust's gevent needs the process patched before anything opens sockets or threads.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

from harness.config import CompareConfig, ConfigError, load_config  # noqa: E402
from harness.exitcodes import Exit  # noqa: E402
from harness.logs import LEVELS, log_to  # noqa: E402
from harness.logs import configure as configure_logging  # noqa: E402
from reference_app.knobs import KnobError, parse_assignments  # noqa: E402


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="run_campaign.py", description="Run an eSPPD load campaign, or analyze one.")
    parser.add_argument("campaign", nargs="?", type=Path, help="campaign TOML (campaigns/*.toml)")
    parser.add_argument("--users", type=int, help="override load.users")
    parser.add_argument("--duration", help="override load.duration (90s, 5m, 1h)")
    parser.add_argument("--workers", type=int, help="override distribution.workers (local)")
    parser.add_argument("--app", choices=("python", "laravel"),
                        help="override target.app: the embedded reference app")
    parser.add_argument("--db", choices=("postgresql", "mariadb"),
                        help="override target.db: the embedded app's database")
    parser.add_argument("--knob", action="append", default=[], metavar="NAME=VALUE",
                        help="override a reference-app knob (embedded target)")
    parser.add_argument("--web", nargs="?", const="8089", metavar="[HOST:]PORT",
                        help="serve Locust's web UI for the running campaign (default port "
                             "8089 on 127.0.0.1): watch it, stop it")
    parser.add_argument("--prometheus", metavar="[HOST:]PORT",
                        help="serve the live series on /metrics for Prometheus (Grafana "
                             "dashboard: deploy/grafana/esppd-live.json)")
    parser.add_argument("--out", type=Path, help="results directory (default: results/<name>-<ts>)")
    parser.add_argument("--quiet", action="store_true",
                        help="no progress output (warnings and errors only)")
    parser.add_argument("--log-level", choices=LEVELS, default="INFO",
                        help="what the console shows; logs/campaign.log always has DEBUG")
    parser.add_argument("--check", action="store_true",
                        help="print the plan, check the config and the pre-flight only")
    parser.add_argument("--analyze", type=Path, metavar="DIR",
                        help="re-analyze an existing results directory and exit")
    parser.add_argument("--import", dest="import_", nargs=2, metavar=("TOOL", "FILE"),
                        help="analyze another tool's results: ab (-g TSV), jmeter (CSV JTL), "
                             "k6 (--out json), locust (--csv-full-history stats_history.csv)")
    parser.add_argument("--collectors", type=Path, metavar="DIR",
                        help="with --import: the standalone collectors' directory of that run")
    parser.add_argument("--request-name", default="/",
                        help="with --import ab: the name of ab's one URL (default /)")
    parser.add_argument("--compare", nargs="+", type=Path, metavar="DIR",
                        help="compare results directories: BASE NEW [MORE...] -> compare.html, "
                        ".md, .json in --out (exit 6 when a newer run regressed)")
    parser.add_argument("--baseline", type=Path, metavar="DIR",
                        help="with a campaign: compare the run with this results directory and "
                        "exit 6 on a regression (overrides [compare] baseline)")
    parser.add_argument("--history", nargs="?", const=Path("results"), type=Path, metavar="DIR",
                        help="(re)write DIR/index.html listing every analyzed run in DIR "
                        "(default results/); campaigns rebuild it after each run")
    args = parser.parse_args(argv)
    if args.analyze is None and args.campaign is None and args.import_ is None \
            and args.compare is None and args.history is None:
        parser.error("give a campaign file (or --analyze DIR, --import TOOL FILE, "
                     "--compare BASE NEW, or --history [DIR])")
    if args.compare is not None and len(args.compare) < 2:
        parser.error("--compare needs a base and at least one newer results directory")
    return args


def overrides_from(args: argparse.Namespace) -> dict[str, object]:
    overrides: dict[str, object] = {}
    if args.users is not None:
        overrides["load.users"] = args.users
    if args.duration is not None:
        overrides["load.duration"] = args.duration
    if args.workers is not None:
        overrides["distribution.workers"] = args.workers
    if args.app is not None:
        overrides["target.app"] = args.app
    if args.db is not None:
        overrides["target.db"] = args.db
    if args.baseline is not None:
        overrides["compare.baseline"] = str(args.baseline)
    if args.web is not None:
        overrides["live.web"] = args.web
    if args.prometheus is not None:
        overrides["live.prometheus"] = args.prometheus
    if args.knob:
        overrides["target.knobs"] = parse_assignments(args.knob)
    return overrides


def missing_contract_files(results_dir: Path) -> list[str]:
    """The files every results directory has (the data contract) that this one lacks."""
    from analysis.schema import CAMPAIGN_FILE, CSV_SPECS

    required = [CAMPAIGN_FILE, *(spec.filename for spec in CSV_SPECS if spec.required)]
    return [name for name in required if not (results_dir / name).is_file()]


def analyze(results_dir: Path, slo: dict[str, float] | None = None) -> Exit:
    from analysis import AnalysisError
    from analysis import analyze as run_analysis

    try:
        result = run_analysis(results_dir, slo)
    except AnalysisError as error:
        print(f"analysis: {error}", file=sys.stderr)
        return Exit.NO_DATA
    except Exception as error:  # noqa: BLE001  # the data stays; say where the details are
        log = results_dir / "logs" / "analysis-error.log"
        log.parent.mkdir(exist_ok=True)
        log.write_text(traceback.format_exc())
        print(f"analysis failed: {type(error).__name__}: {error} (details in {log})",
              file=sys.stderr)
        return Exit.NO_DATA
    top = result.verdicts[0]
    print(f"verdict: {top.bottleneck} (confidence {top.confidence:.2f}): {top.summary}")
    print(f"SLOs {'hold' if result.slo_ok else 'FAILED'}; report: {result.outputs['report.html']}")
    return Exit.OK if result.slo_ok else Exit.SLO_FAILED


def compare(runs: list[Path], out: Path, allow: CompareConfig | None = None,
            junit: Path | None = None) -> Exit:
    """Compare results directories (the first is the base); REGRESSED when a newer run
    is worse beyond the allowed changes and noise."""
    from analysis import AnalysisError
    from analysis.compare.gate import Allowance
    from analysis.compare.render import write_comparison

    for run in runs:
        missing = missing_contract_files(run)
        if missing:
            print(f"compare: {run} is not a results directory (no {', '.join(missing)})",
                  file=sys.stderr)
            return Exit.CONFIG
    allow = allow or CompareConfig()
    try:
        result = write_comparison(runs, out, Allowance(
            allow.p95_increase, allow.throughput_decrease, allow.error_rate_increase), junit)
    except AnalysisError as error:
        print(f"compare: {error}", file=sys.stderr)
        return Exit.NO_DATA
    for gate, run in zip(result.gate, runs[1:], strict=True):
        failed = [check for check in gate if check.regressed]
        print(f"{run.name}: " + ("REGRESSED: " + "; ".join(
            f"{check.phase} {check.metric}: {check.detail}" for check in failed)
            if failed else "no regression against " + runs[0].name))
    print(f"comparison: {result.outputs['compare.html']}")
    return Exit.REGRESSED if result.regressed else Exit.OK


def update_history(results_dir: Path, output_dir: Path) -> None:
    """Rebuild the output folder's index.html when the run was written into it (a run
    sent elsewhere with --out leaves that folder alone)."""
    if results_dir.resolve().parent != output_dir.resolve():
        return
    from analysis.history import write_history

    try:
        write_history(output_dir)
    except Exception as error:  # noqa: BLE001  # the run's own outputs are written; say why
        logging.getLogger("run_campaign").warning("results index not rebuilt: %s", error)


def import_and_analyze(args: argparse.Namespace) -> int:
    """Another tool's results into a new results directory, then the analysis."""
    from importers import ImportFailed, import_results

    tool, source = args.import_[0], Path(args.import_[1])
    out = args.out or Path("results") / (
        f"import-{tool}-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}")
    try:
        import_results(tool, source, out, args.collectors, args.request_name)
    except ImportFailed as error:
        print(f"import failed: {error}", file=sys.stderr)
        return int(Exit.CONFIG)
    code = analyze(out)
    print(out)
    return int(code)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    configure_logging(args.log_level, args.quiet)
    if args.import_ is not None:
        return import_and_analyze(args)
    if args.history is not None:
        if not args.history.is_dir():
            print(f"history: {args.history} is not a folder", file=sys.stderr)
            return int(Exit.CONFIG)
        from analysis.history import write_history

        print(write_history(args.history))
        return int(Exit.OK)
    if args.compare is not None:
        out = args.out or Path("results") / (
            f"compare-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}")
        code = compare(args.compare, out)
        print(out)
        return int(code)
    if args.analyze is not None:
        missing = missing_contract_files(args.analyze)
        if missing:
            print(f"error: {args.analyze} is not a results directory (no {', '.join(missing)})",
                  file=sys.stderr)
            return Exit.CONFIG
        code = analyze(args.analyze)
        print(args.analyze)
        return int(code)
    try:
        config = load_config(args.campaign, overrides_from(args))
    except (ConfigError, KnobError) as error:
        print(f"config error:\n{error}", file=sys.stderr)
        return int(Exit.CONFIG)
    baseline = config.compare.baseline
    if baseline is not None and missing_contract_files(baseline):
        print(f"config error:\ncompare.baseline: {baseline} is not a results directory (no "
              f"{', '.join(missing_contract_files(baseline))})", file=sys.stderr)
        return int(Exit.CONFIG)

    from harness.campaign import Campaign
    from harness.collectors_process import CollectorsProcess
    from harness.plan import describe
    from harness.preflight import PreflightError, check_accounts, check_static, check_target
    from harness.results import ResultsDir
    from harness.user_classes import load_classes

    if args.check:
        try:
            check_static(config)
            try:
                classes = load_classes(config.load)
            except ValueError as error:
                raise PreflightError(str(error)) from None
            check_accounts(config, classes.selected.values())
            if config.target.kind == "url":
                check_target(config, config.target.url or "")
                problems = CollectorsProcess(config, None, None).check()
                if problems:
                    raise PreflightError("\n".join(problems))
        except PreflightError as error:
            print(f"pre-flight failed:\n{error}", file=sys.stderr)
            return int(Exit.PREFLIGHT)
        print(describe(config))
        for name, user_class in classes.selected.items():
            role = getattr(user_class, "role", "")
            print(f"  user class {name}: weight {user_class.weight}"
                  + (f", role {role}" if role else ""))
        print("config and pre-flight OK")
        return int(Exit.OK)
    try:
        results = ResultsDir.create(config, args.out)
    except OSError as error:
        print(f"config error: cannot create the results directory: {error}", file=sys.stderr)
        return int(Exit.CONFIG)
    log_to(results.logs / "campaign.log")
    outcome = Exit.OK
    try:
        outcome = Campaign(config, results, quiet=args.quiet).run()
    except PreflightError as error:
        print(f"pre-flight failed:\n{error}", file=sys.stderr)
        print(results.path)
        return int(Exit.PREFLIGHT)
    except KeyboardInterrupt:
        outcome = Exit.ABORTED
    except Exception as error:  # report what exists, never a bare traceback
        logging.getLogger("run_campaign").debug("campaign failed", exc_info=True)
        print(f"campaign failed: {type(error).__name__}: {error} "
              f"(details in {results.logs / 'campaign.log'})", file=sys.stderr)
        outcome = Exit.ABORTED
    code = analyze(results.path, config.slo.model_dump())
    if config.compare.baseline is not None and code in (Exit.OK, Exit.SLO_FAILED) \
            and outcome != Exit.ABORTED:
        gate = compare([config.compare.baseline, results.path], results.path, config.compare,
                       results.path / "junit-regression.xml")
        code = Exit.REGRESSED if gate == Exit.REGRESSED else code
    update_history(results.path, config.output.dir)
    print(results.path)
    if outcome == Exit.ABORTED:
        return int(Exit.ABORTED)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
