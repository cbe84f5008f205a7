"""Endpoints of a session's hub: loopback TCP on two free ports unless told otherwise."""

from __future__ import annotations

import socket
from dataclasses import dataclass

LOOPBACK = "127.0.0.1"


def free_tcp_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Endpoints:
    """The hub's input (producers connect here) and output (subscribers connect here)."""

    input: str
    output: str

    @classmethod
    def loopback(cls, input_port: int | None = None, output_port: int | None = None) -> Endpoints:
        """Return loopback endpoints on the given ports, or on free ones."""
        in_port = input_port or free_tcp_port()
        out_port = output_port or free_tcp_port()
        while out_port == in_port:
            out_port = free_tcp_port()
        return cls(f"tcp://{LOOPBACK}:{in_port}", f"tcp://{LOOPBACK}:{out_port}")
