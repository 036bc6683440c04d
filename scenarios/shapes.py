"""The one Locust load shape of the scenarios: it follows the plan named by --esppd-shape."""

from __future__ import annotations

from locust import LoadTestShape

from scenarios.plans import Plan, Stage, plan_from_options, visitor_weights


class EsppdShape(LoadTestShape):
    """Drives users from the plan chosen by --esppd-shape (default: constant, from -u/-r/-t).

    `stage` is the current stage (or None), read by the recorder for phases
    and by the phase broadcaster for role activity.
    """

    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self.plan: Plan | None = None
        self.stage: Stage | None = None
        # Open model: each class's (weight, role) as configured, which split the arrivals;
        # the classes' Locust weights then split the visitor pool (visitor_weights).
        self.arrival_classes: dict[str, tuple[float, str]] = {}

    def reset_time(self) -> None:
        super().reset_time()
        self.plan = None

    def tick(self) -> tuple[int, float] | None:
        if self.plan is None:
            assert self.runner is not None
            self.plan = plan_from_options(self.runner.environment.parsed_options)
            if any(stage.arrivals_per_s > 0 for stage in self.plan.stages):
                self._size_visitor_pools(self.plan)
        self.stage = self.plan.at(self.get_run_time())
        if self.stage is None:
            return None
        return self.stage.users, self.stage.spawn_rate

    def _size_visitor_pools(self, plan: Plan) -> None:
        """Before the first spawn (Locust's dispatcher reads the weights then)."""
        assert self.runner is not None
        classes = self.runner.environment.user_classes
        if not self.arrival_classes:
            self.arrival_classes = {cls.__name__: (float(cls.weight), str(getattr(
                cls, "role", ""))) for cls in classes}
        weights = visitor_weights(self.arrival_classes, plan)
        for cls in classes:
            cls.weight = weights[cls.__name__]
