"""Process supervision: the bottom floor every stack, the harness and the tests stand on.

Why a package of its own: the harness starts Locust workers and the collectors
process, both reference apps start databases, Redis, app servers and queue
workers, and the tests start throwaway servers; all need the same few
guarantees (own process group, dies with its parent, stopped with a grace
period, restarted when it should be). None of them may depend on the others
for it.
"""

from supervision.accounts import RunAs, chown_tree, run_as_unprivileged
from supervision.binaries import find_binary
from supervision.network import free_port, wait_for_port
from supervision.processes import ServiceError, spawn, stop_process
from supervision.supervisor import Program, Supervisor

__all__ = [
    "Program",
    "RunAs",
    "ServiceError",
    "Supervisor",
    "chown_tree",
    "find_binary",
    "free_port",
    "run_as_unprivileged",
    "spawn",
    "stop_process",
    "wait_for_port",
]
