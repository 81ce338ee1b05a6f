"""Ports nrmflow's servers listen on: checked before a server is started, so that `nrm up` never talks to some
other process that already holds its port, and a taken port is told as such."""

from __future__ import annotations

import errno
import socket

from starter.errors import BadInput


def taken(host: str, port: int, what: str) -> BadInput:
    return BadInput(
        f"port {port} on {host} ({what}) is already in use by another process: stop it or choose another port"
    )


def require_free(host: str, port: int, what: str) -> None:
    """Refuse a port that something listens on (a port only in TIME_WAIT is free: SO_REUSEADDR, as servers bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise taken(host, port, what) from None
            raise
