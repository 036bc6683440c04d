"""What a campaign will do, before it runs: its load plan and a readable summary.

Why: `--check` is where an engineer confirms a campaign before spending an hour on
it; "OK" alone does not say that the shape, the users over time, the workers and the
collectors are the ones meant.
"""

from __future__ import annotations

from types import SimpleNamespace

from harness.config import CampaignConfig, CollectorConfig, redact_url
from scenarios.plans import Plan, Stage, plan_from_options

MAX_STAGES_LISTED = 12


def load_plan(config: CampaignConfig) -> Plan:
    """The stages the shape will run, as the Locust master will build them."""
    load = config.load
    return plan_from_options(SimpleNamespace(
        esppd_shape=load.shape, esppd_users=load.users, esppd_spawn_rate=load.spawn_rate,
        esppd_duration=load.duration, esppd_step_users=load.step_users,
        esppd_step_duration=load.step_duration,
        esppd_seconds_per_hour=load.seconds_per_hour, esppd_arrival_rate=load.arrival_rate))


def describe(config: CampaignConfig) -> str:
    """The plan in a few lines: target, load over time, generators, collectors."""
    target, load, spread = config.target, config.load, config.distribution
    plan = load_plan(config)
    if target.kind == "embedded":
        knobs = ", ".join(f"{k}={v}" for k, v in target.knobs.items()) or "every best practice on"
        where = f"embedded {target.app} app on {target.db}, seed {target.size} ({knobs})"
    else:
        where = redact_url(target.url or "")
    stages = [f"{stage.phase} {_load(stage)} for {_clock(stage.duration_s)}"
              for stage in plan.stages[:MAX_STAGES_LISTED]]
    if len(plan.stages) > MAX_STAGES_LISTED:
        stages.append(f"... {len(plan.stages) - MAX_STAGES_LISTED} more")
    remote = sum(host.workers for host in spread.hosts)
    generators = f"{spread.workers} local Locust worker(s)" + (
        f" and {remote} on {len(spread.hosts)} SSH host(s)" if spread.hosts else "")
    return "\n".join([
        f"campaign {config.name}: {load.shape} ({load.model} model), up to {load.users} "
        f"{'visits in flight' if load.model == 'open' else 'users'} "
        f"({'' if load.model == 'open' else f'spawn {load.spawn_rate:g}/s, '}"
        f"think time x{load.think_scale:g}), "
        f"{_clock(plan.duration_s)} planned",
        f"  target: {where}",
        f"  users over time: {'; '.join(stages)}",
        f"  load generators: {generators}",
        f"  collectors: {', '.join(_collector(c) for c in config.collectors)}",
        f"  results: {config.output.dir}/{config.name}-<timestamp>/",
    ])


def _load(stage: Stage) -> str:
    if stage.arrivals_per_s > 0:
        return f"{stage.arrivals_per_s:g} visits/s"
    return f"{stage.users} users"


def _collector(collector: CollectorConfig) -> str:
    where = collector.ssh or collector.dsn or collector.url
    source = "" if where is None else f" ({redact_url(where)})"
    return f"{collector.type}{source} every {collector.interval:g} s"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 60}m{whole % 60:02d}s"
