"""pm.max_children advice from measurements: RAM bounds it, and so do the CPUs."""

from __future__ import annotations

from collections.abc import Callable

from analysis.context import Context
from analysis.findings import Finding
from analysis.recommend import cpu_bound_children, recommendations


def _sizing_advice(ctx: Context, workers: float) -> str:
    finding = Finding("app.workers", 0.9, "", [], None, None, [],
                      details={"workers": workers})
    return recommendations(finding, ctx)[0]


def test_workers_that_queue_for_cpu_are_not_multiplied(
        context_of: Callable[[str], Context]) -> None:
    ctx = context_of("app.cpu")
    sized = cpu_bound_children(ctx)
    assert sized is not None
    children, per_worker, cpus = sized
    assert per_worker > 0 and cpus > 0
    advice = _sizing_advice(ctx, workers=children + 5.0)
    assert advice.startswith("Do not raise `pm.max_children`")
    assert f"{per_worker:.2f} cores" in advice


def test_a_pool_too_small_for_idle_cpus_is_raised(context_of: Callable[[str], Context]) -> None:
    ctx = context_of("app.workers")
    sized = cpu_bound_children(ctx)
    assert sized is not None and sized[0] > 2
    assert _sizing_advice(ctx, workers=2.0).startswith(
        "Raise PHP-FPM `pm.max_children` from 2 to about")
