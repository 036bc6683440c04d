"""The `none` rule: no saturation at the tested load, with the headroom left.

Why its own rule: "nothing is wrong" is a verdict that needs evidence too: flat
latency, no knee, low errors, and how far the busiest resource is from its limit.
"""

from __future__ import annotations

import math

from analysis.context import Context
from analysis.findings import Finding
from analysis.rules.common import pct
from analysis.use import Growth, use_growth, use_table

UTIL_LIMIT = 0.80
LATENCY_FLAT = 1.5           # p95 at the top load vs the lowest load
ERROR_LIMIT = 0.01


def _first_limit(ctx: Context, top_users: float) -> tuple[Growth, float] | None:
    """The system resource whose load-driven use reaches UTIL_LIMIT at the fewest users
    (the load generator is the rig, not the system), and those users."""
    limits = [(growth, growth.users_at(UTIL_LIMIT)) for growth in use_growth(ctx)
              if growth.load_driven and growth.resource != "load generator"]
    limits = [(growth, users) for growth, users in limits if users > top_users]
    return min(limits, key=lambda item: item[1]) if limits else None


def none(ctx: Context) -> Finding | None:
    levels = sorted(ctx.capacity.levels, key=lambda lv: lv.users)
    requests = float(ctx.w5["count"].sum())
    error_rate = float(ctx.w5["failures"].sum()) / requests if requests else math.nan
    table = use_table(ctx)
    measured = table.dropna(subset=["utilization_peak"])
    busiest = measured.sort_values("utilization_peak", ascending=False).head(1)
    peak_util = float(busiest["utilization_peak"].iloc[0]) if len(busiest) else math.nan
    flat = len(levels) < 2 or levels[-1].p95_ms <= LATENCY_FLAT * levels[0].p95_ms
    jobs_failed, jobs_ended = ctx.job_waits()
    job_failure = jobs_failed / jobs_ended if jobs_ended else 0.0
    # "No bottleneck" needs every user-visible outcome fine and no resource at its
    # limit: a resource already past it has no headroom to extrapolate.
    if ctx.capacity.knee is not None or not flat or not error_rate < ERROR_LIMIT \
            or job_failure >= ERROR_LIMIT or peak_util >= UTIL_LIMIT:
        return None
    top_users = float(ctx.w5["users"].max())
    evidence = [f"no knee: throughput followed users up to {top_users:.0f} users"
                + (f" (p95 {levels[0].p95_ms:.0f} ms at {levels[0].users:.0f} users, "
                   f"{levels[-1].p95_ms:.0f} ms at {levels[-1].users:.0f})" if len(levels) >= 2
                   else ""),
                f"error rate {error_rate * 100:.2f}%"]
    headroom_users, headroom_resource = math.nan, ""
    if len(busiest):
        row = busiest.iloc[0]
        evidence.append(f"busiest resource: {row['resource']} at {pct(peak_util)} "
                        f"({row['utilization_metric']})")
    limit = _first_limit(ctx, top_users)
    if limit is None:
        evidence.append("no measured resource's use grew with the users, so no headroom "
                        "follows from this run (utilization flat across the load, like a "
                        "pre-opened pool); a capacity-step run to a higher load finds it")
    else:
        growth, headroom_users = limit
        headroom_resource = growth.resource + ("" if growth.target == "-"
                                               else f" on {growth.target}")
        evidence.append(
            f"headroom: about {headroom_users:.0f} users before {headroom_resource} reaches "
            f"{pct(UTIL_LIMIT)} (its use rose by {growth.per_user * 1e4:.1f} points per 100 "
            f"users from {pct(max(growth.base, 0.0))} at no users, fitted over this run, "
            f"r={growth.r:.2f}; an extrapolation: confirm with a capacity-step run)")
    sev = 1.0 - (peak_util if not math.isnan(peak_util) else 0.5)
    return Finding(
        "none", round(min(0.95, 0.5 + 0.5 * sev), 3),
        f"No bottleneck up to {top_users:.0f} users"
        + (f"; the busiest resource ({busiest['resource'].iloc[0]}) was at {pct(peak_util)}."
           if len(busiest) else "."),
        evidence, details={"headroom_users": headroom_users,
                           "headroom_resource": headroom_resource,
                           "peak_utilization": peak_util, "top_users": top_users},
    )
