"""The one finding-rule registry and the ranking of findings.

Why an explicit tuple: the taxonomy (ARCHITECTURE section 4) is closed; one entry
per class, each naming the classes that, when present, explain it as a symptom
(busy app workers are a symptom of a slow database, not a cause). A defect explains
the resource it burns: an N+1 costs the app a round trip, a decode and a model per
row, so saturated app CPU next to an N+1 is the N+1's to fix first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from analysis.context import RAMP_S, Context
from analysis.findings import TAXONOMY, Finding, RuleSpec
from analysis.latency import ALL
from analysis.logs import attach_log_messages
from analysis.recommend import recommendations
from analysis.rules.app import (
    HOLD_GROWTH_SLOWED,
    app_errors,
    app_workers,
    sessions_lost,
    workers_run,
)
from analysis.rules.cpu import app_cpu, db_cpu, host_cpu, loadgen_cpu
from analysis.rules.db import (
    app_held_the_connections,
    db_connections,
    db_io,
    db_locks,
    holders_take_turns,
)
from analysis.rules.headroom import none
from analysis.rules.host import database_did_the_io, host_disk, host_memory
from analysis.rules.outage import cache_latency, db_unavailable, server_runs
from analysis.rules.queue_cache import cache_misses, queue_backlog, workers_wait
from analysis.rules.slowdown import db_query
from analysis.rules.statements import db_n_plus_one
from analysis.signals import CPU_UTIL
from analysis.slo import MIN_P95_REQUESTS, P95_SLO, SloResult
from analysis.timefmt import clock

_DB_CAUSES = ("db.cpu", "db.query", "db.n_plus_one", "db.connections", "db.locks", "db.io",
              "db.unavailable")

REGISTRY: tuple[RuleSpec, ...] = (
    RuleSpec("loadgen.cpu", loadgen_cpu),
    RuleSpec("app.cpu", app_cpu, ("host.cpu", "db.n_plus_one")),
    # Slow requests fill a pool; they stop none of its processes.
    RuleSpec("app.workers", app_workers,
             explained_if=tuple((cause, workers_run) for cause in (
                 "app.cpu", *_DB_CAUSES, "host.cpu", "host.memory", "host.disk", "loadgen.cpu",
                 "cache.misses", "cache.latency"))),
    RuleSpec("db.cpu", db_cpu, ("db.query", "db.n_plus_one", "cache.misses")),
    # Statements wait on a paused or starved server too: each call takes longer.
    RuleSpec("db.query", db_query, ("cache.misses", "db.locks", "db.unavailable")),
    RuleSpec("db.n_plus_one", db_n_plus_one),
    RuleSpec("db.connections", db_connections,
             explained_if=tuple((cause, app_held_the_connections) for cause in (
                 "db.locks", "db.query", "db.cpu", "db.io", "db.n_plus_one", "cache.misses",
                 "db.unavailable"))),
    # The app's own short transactions taking turns on a row wait as long as each holder
    # takes: a starved or paused server makes every holder slower (one session holding
    # the lock is a cause of its own, whatever the server does).
    RuleSpec("db.locks", db_locks,
             explained_if=tuple((cause, holders_take_turns) for cause in (
                 "db.cpu", "host.cpu", "db.unavailable", "db.io"))),
    RuleSpec("db.io", db_io, ("host.memory", "host.disk")),
    # The OOM killer takes the biggest process, often the database; a database starved of
    # CPU answers slowly.
    # A database whose disk is full stops writing, then answering.
    # A host whose workers all wait on a lock idles, and a probe then pays the wake-up of
    # sleeping processes (milliseconds on a VM): a slower round trip after it is its echo.
    # A server the host saw stopped was stopped by someone: no load or starvation does it.
    RuleSpec("db.unavailable", db_unavailable,
             explained_if=tuple((cause, server_runs) for cause in (
                 "host.memory", "host.cpu", "app.cpu", "db.cpu", "host.disk", "db.locks"))),
    RuleSpec("host.cpu", host_cpu),
    RuleSpec("host.memory", host_memory),
    # A disk busy with the database's own I/O is the database's doing; one busy with a
    # process outside it is the cause of the database's waits, and not their symptom.
    RuleSpec("host.disk", host_disk, explained_if=(("db.io", database_did_the_io),)),
    # Queue workers are clients of the database and of the queue's Redis; their jobs run
    # statements too, so workers that wait (not stopped, not gone) wait on a slow database.
    RuleSpec("queue.backlog", queue_backlog, ("db.connections", "db.unavailable",
                                              "cache.latency", "host.disk"),
             explained_if=tuple((cause, workers_wait) for cause in (
                 "db.query", "db.cpu", "db.locks", "db.io", "db.n_plus_one"))),
    RuleSpec("cache.misses", cache_misses),
    # A Redis starved of CPU or memory answers slowly too: then it is a symptom; so is
    # its PING on a host idling behind a lock (see db.unavailable).
    RuleSpec("cache.latency", cache_latency,
             explained_if=tuple((cause, server_runs) for cause in (
                 "host.cpu", "app.cpu", "db.cpu", "host.memory", "db.locks"))),
    # A deadlock is an error the app gets; a refused connection is another; so is a
    # Redis read that timed out, every request to a server that is down, a request
    # that waited for a worker longer than its client or nginx would, and a write to a
    # full disk (or one so slow that requests time out).
    # Users signed out by the server lost their sessions where they were kept: a Redis
    # whose keys were flushed or evicted (Laravel's redis session driver keeps them under
    # the cache's prefix, so `cache:clear` and evictions take them too). A worker the OOM
    # killer took fails the request it served (nginx answers 502).
    RuleSpec("app.errors", app_errors, ("db.locks", "db.connections", "cache.latency",
                                        "db.unavailable", "app.workers", "host.disk",
                                        "host.memory"),
             explained_if=(("cache.misses", sessions_lost),)),
    RuleSpec("none", none),
)
assert tuple(spec.bottleneck for spec in REGISTRY) == TAXONOMY, "one rule per taxonomy class"

CAUSE_MIN_CONFIDENCE = 0.5
RAMP_CONFIDENCE = 0.5   # no bottleneck, but the run's own ramps broke the SLO
BURST_CPU = 0.8  # the ramps' busiest seconds at this CPU utilization: the burst saturated it
MIN_BURST_REQUESTS = 10
# A saturation that set in this long (a load step) or more after its symptom began
# cannot explain it: the symptom was already there without it.
CAUSE_LATE_S = 30.0
DEFECTS = frozenset({"db.query", "db.n_plus_one", "cache.misses"})
SYMPTOM_FACTOR = 0.5
REPORT_MIN_CONFIDENCE = 0.2


def rule_for(bottleneck: str) -> RuleSpec:
    return next(spec for spec in REGISTRY if spec.bottleneck == bottleneck)


def diagnose(ctx: Context, failed_slos: Sequence[SloResult] = ()) -> list[Finding]:
    """Run every rule, demote symptoms explained by a present cause, rank by confidence.

    `failed_slos` are the SLOs that failed: with any, "no bottleneck" is not a verdict;
    what remains is that nothing measured explains the failure, or that it failed only
    while users were being added."""
    found = {spec.bottleneck: f for spec in REGISTRY if (f := spec.rule(ctx)) is not None}
    if failed_slos and "none" in found:
        found["none"] = _unexplained(ctx, failed_slos)
    chains = demote_symptoms(found)
    others = [f.confidence for name, f in found.items() if name != "none"]
    if "none" in found and others:
        found["none"].confidence = round(min(found["none"].confidence, 1 - max(others)), 3)
    if not found or all(f.confidence < REPORT_MIN_CONFIDENCE for f in found.values()):
        found.setdefault("none", _unexplained(ctx, failed_slos))
    ranked = rank(found, chains)
    attach_log_messages(ctx, [f for f in ranked if f.confidence >= REPORT_MIN_CONFIDENCE])
    for finding in ranked:
        finding.recommendations = recommendations(finding, ctx)
    return [f for f in ranked if f.confidence >= REPORT_MIN_CONFIDENCE] or ranked[:1]


def rank(found: dict[str, Finding], chains: dict[str, float]) -> list[Finding]:
    """Strongest first, a cause with its chain's strength (`demote_symptoms`); on a tie,
    REGISTRY's order."""
    order = {spec.bottleneck: i for i, spec in enumerate(REGISTRY)}
    return sorted(found.values(), key=lambda f: (
        -max(f.confidence, chains.get(f.bottleneck, 0.0)), order[f.bottleneck]))


def demote_symptoms(found: dict[str, Finding]) -> dict[str, float]:
    """Halve each finding that a present cause (as found, before any halving) explains.

    Returns the chain strength of each cause that nothing explains: the highest
    confidence, as found, of the symptoms that it alone explains. The verdict ranks a
    cause with its chain: a saturation the analysis is sure of (the app's CPU, 0.78) is
    the bottleneck's strongest evidence, and the one cause that explains it (an N+1,
    itself 0.64) names the fix; a finding apart from that chain (a report's full scan,
    0.74, on a database 0.8 sessions busy) ranks below it, as it would below the symptom
    left alone. A symptom several causes explain (a full pool, which any slow request
    fills) tells none of them apart."""
    original = {name: f.confidence for name, f in found.items()}
    consequences: dict[str, list[Finding]] = {}
    explained = _explanations(found)
    for spec in REGISTRY:
        causes = explained.get(spec.bottleneck, [])
        if causes:
            finding = found[spec.bottleneck]
            finding.confidence = round(finding.confidence * SYMPTOM_FACTOR, 3)
            finding.evidence.append("probably a consequence of " + ", ".join(
                f"{c} (confidence {original[c]:.2f}{_since(found[c], ',')})" for c in causes))
            for cause in causes:
                consequences.setdefault(cause, []).append(finding)
    for cause, symptoms in consequences.items():
        # The chain in time order, as a reader follows it: cause first, then what it did
        # (a symptom too weak to report is no link of it).
        ordered = sorted((f for f in symptoms if original[f.bottleneck] >= REPORT_MIN_CONFIDENCE),
                         key=lambda f: (f.onset_ts is None, f.onset_ts or 0.0))
        if not ordered:
            continue
        found[cause].evidence.append("chain: " + " -> ".join(
            f"{f.bottleneck}{_since(f)}" for f in [found[cause], *ordered]))
        found[cause].details["consequences"] = [f.bottleneck for f in ordered]
    chains: dict[str, float] = {}
    for cause, symptoms in consequences.items():
        own = [f for f in symptoms if explained[f.bottleneck] == [cause]]
        if explained.get(cause) or not own:
            continue
        strongest = max(own, key=lambda f: original[f.bottleneck])
        chains[cause] = original[strongest.bottleneck]
        if chains[cause] > original[cause]:
            found[cause].evidence.append(
                f"ranked with its chain: it alone explains {strongest.bottleneck} (confidence "
                f"{chains[cause]:.2f}), above its own {original[cause]:.2f}")
    return chains


def _explanations(found: dict[str, Finding]) -> dict[str, list[str]]:
    """Each present finding's present causes, strong enough and not ruled out by time.

    The graph has cycles: a heavy statement saturates the database's CPU, which slows its
    answers, and statements wait on a slow server. Within a cycle of present findings the
    strongest (the highest confidence as found; REGISTRY's order on a tie) explains the
    others and none of them explains it back, or each would halve the other and the
    verdict would carry half its weight."""
    edges = {spec.bottleneck: [c for c in spec.causes(finding)
                               if c != spec.bottleneck and c in found
                               and found[c].confidence >= CAUSE_MIN_CONFIDENCE
                               and not _cannot_explain(found[c], finding)]
             for spec in REGISTRY if (finding := found.get(spec.bottleneck)) is not None}
    names = [spec.bottleneck for spec in REGISTRY]
    index = {name: i for i, name in enumerate(names)}
    graph = np.zeros((len(names), len(names)))
    for symptom, causes in edges.items():
        for cause in causes:
            graph[index[cause], index[symptom]] = 1
    _, cycle = connected_components(csr_matrix(graph), directed=True, connection="strong")

    def rank(name: str) -> tuple[float, int]:
        return -found[name].confidence, index[name]

    return {symptom: [c for c in causes
                      if cycle[index[c]] != cycle[index[symptom]] or rank(c) < rank(symptom)]
            for symptom, causes in edges.items()}


def _since(finding: Finding, separator: str = "") -> str:
    return f"{separator} from {clock(finding.onset_ts)}" if finding.onset_ts is not None else ""


def _cannot_explain(cause: Finding, symptom: Finding) -> bool:
    """True when a saturation cannot have produced the symptom: it set in well after the
    symptom began (requests that queued for workers at 75 users were not queued by a CPU
    that saturated at 125), or it set in after the pool's low-load pace was measured and
    the pool's requests held their workers no longer than at that pace (a saturation
    fills a pool only by slowing its requests). A defect (a slow statement, an N+1, a
    cache that misses) is there from the first request, whatever onset its rule reports,
    so it can explain anything."""
    if cause.bottleneck in DEFECTS or cause.onset_ts is None:
        return False
    if (symptom.details.get("hold_growth", math.inf) < HOLD_GROWTH_SLOWED
            and cause.onset_ts > symptom.details.get("hold_quiet_until", math.inf)):
        return True
    return symptom.onset_ts is not None and cause.onset_ts >= symptom.onset_ts + CAUSE_LATE_S


def _unexplained(ctx: Context, failed_slos: Sequence[SloResult] = ()) -> Finding:
    ramp = _ramp_only(ctx, failed_slos)
    if ramp:
        burst = _burst(ctx, failed_slos)
        return Finding(
            "none", RAMP_CONFIDENCE,
            "The p95 SLO failed only while users were being added (new users log in "
            "together and find caches cold); the rest of each phase meets it: no "
            "bottleneck at this steady load." + (f" The burst itself saturated the CPUs "
                                                 f"({burst}): what users arriving together "
                                                 "would feel." if burst else ""),
            ramp, details={"ramp_only": True})
    knee = ctx.capacity.knee
    failed = ", ".join(dict.fromkeys(r.slo for r in failed_slos))
    return Finding(
        "none", 0.2,
        (f"SLOs failed ({failed}), but no measured resource explains it: no bottleneck can "
         "be named from the collected signals." if failed else
         "No measured resource explains the behaviour: no bottleneck can be named from "
         "the collected signals."),
        ["no rule found sustained saturation in the measured signals"]
        + ([f"but throughput stopped following users at {knee.users:.0f} users: collect the "
            "missing signals (PostgreSQL, app status, host) and re-run"] if knee else []),
        knee.ts if knee else None, knee.users if knee else None,
        details={"unexplained": bool(failed)},
    )


def _burst(ctx: Context, failed_slos: Sequence[SloResult]) -> str:
    """'' unless the CPUs were saturated in the ramps; then how much, and the slowest
    request of the failed phases (the one a burst of arrivals costs most)."""
    during, _ = _ramp_cpu(ctx)
    if math.isnan(during) or during < BURST_CPU:
        return ""
    phases = {result.phase for result in failed_slos}
    rows = ctx.phase_stats[ctx.phase_stats["label"].isin(phases)
                           & (ctx.phase_stats["name"] != ALL)
                           & (ctx.phase_stats["count"] >= MIN_BURST_REQUESTS)]
    slowest = "" if rows.empty else (
        f"; slowest {rows.loc[rows['p95'].idxmax(), 'name']} at p95 "
        f"{rows['p95'].max():.0f} ms")
    return f"busiest second of each 5 s: median {during:.0%} during the ramps{slowest}"


def _ramp_cpu(ctx: Context) -> tuple[float, float]:
    """Median of the busiest CPU second per 5 s window with traffic: during the ramps,
    and in the rest of the run."""
    cpu = ctx.peak(CPU_UTIL)
    in_ramp = ctx.ramp.reindex(cpu.index.astype(int), fill_value=False).to_numpy(dtype=bool)
    served = (ctx.w5["count"].reindex(cpu.index).fillna(0) > 0).to_numpy()
    return float(cpu[in_ramp & served].median()), float(cpu[~in_ramp & served].median())


def _ramp_only(ctx: Context, failed_slos: Sequence[SloResult]) -> list[str]:
    """Evidence that every failed SLO is a p95 that fails only in the seconds after users
    rose (the steady part of each such phase meets it); empty when that is not so."""
    if not failed_slos or any(not r.slo.startswith(P95_SLO) for r in failed_slos):
        return []
    stats = ctx.ramp_stats[ctx.ramp_stats["name"] == ALL].set_index("label")
    phases = [phase.label for phase in ctx.phases]
    lines = []
    for result in failed_slos:
        ramp, steady = (f"{result.phase} ramp", f"{result.phase} steady")
        if ramp not in stats.index or result.phase not in phases:
            return []
        where = ""
        if steady not in stats.index:
            # a phase that only adds users (a ramp-up): its steady state is the next one's
            later = [f"{label} steady" for label in phases[phases.index(result.phase) + 1:]
                     if f"{label} steady" in stats.index]
            if not later:
                return []
            steady = later[0]
            where = f" in the steady part of {steady.rsplit(' ', 1)[0]}"
        up, rest = stats.loc[ramp], stats.loc[steady]
        if rest["count"] < MIN_P95_REQUESTS or not rest["p95"] <= result.limit:
            return []
        lines.append(f"{result.phase}: p95 {up['p95']:.0f} ms over the {up['count']:.0f} "
                     f"requests sent within {RAMP_S} s after users rose, {rest['p95']:.0f} ms "
                     f"over the {'other ' if not where else ''}{rest['count']:.0f}{where} "
                     f"(limit {result.limit:.0f} ms)")
    during, after = _ramp_cpu(ctx)
    if not (math.isnan(during) or math.isnan(after)):
        lines.append(f"cpu.util: busiest second of each 5 s, median {during:.0%} during the "
                     f"ramps, {after:.0%} in the rest")
    return lines
