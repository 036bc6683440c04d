from __future__ import annotations

import socket

from supervision.network import LOWEST_PORT, _ephemeral_low, free_port


def test_free_ports_lie_below_the_ephemeral_range_and_can_be_bound() -> None:
    """Outgoing connections take ports from the ephemeral range: a server port chosen
    there can be gone before the server binds it."""
    ports = {free_port() for _ in range(20)}
    assert all(LOWEST_PORT <= port < _ephemeral_low() for port in ports)
    assert len(ports) > 1  # drawn at random, not one port for everyone
    for port in ports:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", port))
