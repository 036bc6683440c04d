"""The one Locust load shape of the scenarios: it follows the plan named by --esppd-shape."""

from __future__ import annotations

from locust import LoadTestShape

from scenarios.plans import Plan, Stage, plan_from_options


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

    def reset_time(self) -> None:
        super().reset_time()
        self.plan = None

    def tick(self) -> tuple[int, float] | None:
        if self.plan is None:
            assert self.runner is not None
            self.plan = plan_from_options(self.runner.environment.parsed_options)
        self.stage = self.plan.at(self.get_run_time())
        if self.stage is None:
            return None
        return self.stage.users, self.stage.spawn_rate
