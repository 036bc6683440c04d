"""Per-process settings shared by every user of one Locust environment: the route map,
the account pool (spread over workers) and the think-time scale, built once from the
harness's options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from locust.env import Environment

from scenarios.accounts import DEFAULT_POOLS, AccountPool, parse_sizes
from scenarios.rota import ApproverRota
from scenarios.routes import RouteMap


@dataclass
class ScenarioContext:
    """Per-process settings shared by all users of one Locust environment."""

    routes: RouteMap
    accounts: AccountPool
    think_scale: float
    rota: ApproverRota

    @classmethod
    def of(cls, environment: Environment) -> ScenarioContext:
        existing = getattr(environment, "esppd_context", None)
        if existing is not None:
            return existing
        options = environment.parsed_options
        csv_path = getattr(options, "esppd_accounts_csv", "")
        accounts = (AccountPool.from_csv(Path(csv_path)) if csv_path else
                    AccountPool.seeded(parse_sizes(getattr(
                        options, "esppd_accounts", DEFAULT_POOLS))))
        accounts.worker_index = getattr(environment.runner, "worker_index", 0)
        accounts.worker_count = max(1, int(getattr(options, "esppd_workers", 1) or 1))
        route_map = getattr(options, "esppd_route_map", "")
        routes = RouteMap.load(Path(route_map) if route_map else None)
        context = cls(routes, accounts, float(getattr(options, "esppd_think_scale", 1.0) or 1.0),
                      ApproverRota(routes.approval_levels, accounts.worker_index,
                                   accounts.worker_count))
        environment.esppd_context = context  # type: ignore[attr-defined]  # ours: Locust has no slot
        return context
