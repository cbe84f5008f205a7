"""Endpoints of a session's hub: loopback TCP on two free ports unless told otherwise.

Every endpoint the project binds by default is on 127.0.0.1. `is_loopback` is the
one place that decides whether an endpoint stays on this machine; the hub refuses
to bind anything else in plaintext (docs/security.md).
"""

from __future__ import annotations

import ipaddress
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

LOOPBACK = "127.0.0.1"
# Host names that resolve to loopback by definition (RFC 6761 §6.3); any other name
# is treated as remote, because resolving it would ask the network.
_LOOPBACK_NAMES = ("localhost", "localhost.")
# sun_path holds 108 bytes on Linux, 104 on macOS; keep a margin for the file name.
_MAX_IPC_FOLDER_CHARS = 90


class EndpointError(ValueError):
    """An endpoint string that is not a ZeroMQ address this project can use."""


def free_tcp_port(host: str = LOOPBACK) -> int:
    """Return a TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def endpoint_host(endpoint: str) -> str | None:
    """Return the host part of a ``tcp://`` endpoint, or None for local transports.

    ``ipc://`` and ``inproc://`` never leave the machine, so they have no host.
    Raises EndpointError for anything that is not ``tcp://HOST:PORT``,
    ``ipc://PATH`` or ``inproc://NAME``.
    """
    transport, sep, rest = endpoint.partition("://")
    if not sep or not rest:
        raise EndpointError(
            f"{endpoint!r} is not a ZeroMQ endpoint; write it as tcp://127.0.0.1:PORT"
        )
    if transport in ("ipc", "inproc"):
        return None
    if transport != "tcp":
        raise EndpointError(
            f"{endpoint!r}: transport {transport!r} is not supported; use tcp://, ipc:// "
            "or inproc://"
        )
    if rest.startswith("["):  # tcp://[::1]:5601
        host, bracket, port = rest[1:].partition("]")
        if not bracket or not port.startswith(":"):
            raise EndpointError(f"{endpoint!r}: write an IPv6 address as tcp://[ADDR]:PORT")
    else:
        host, colon, port = rest.rpartition(":")
        if not colon:
            raise EndpointError(f"{endpoint!r} has no port; write it as tcp://HOST:PORT")
    if not host:
        raise EndpointError(f"{endpoint!r} has no host; write it as tcp://127.0.0.1:PORT")
    return host


def is_loopback(endpoint: str) -> bool:
    """Return True if `endpoint` can only be reached from this machine.

    True for ``tcp://`` on 127.0.0.0/8, ``::1`` or ``localhost``, and for ``ipc://``
    and ``inproc://``. False for everything else, including ``*``, ``0.0.0.0``, an
    interface name (``eth0``) and any other host name: they may face a network.
    Raises EndpointError if `endpoint` cannot be parsed.
    """
    host = endpoint_host(endpoint)
    if host is None:
        return True
    # ZeroMQ reads "source;destination" on connect: every part must stay local.
    return all(_is_loopback_host(part) for part in host.split(";"))


def _is_loopback_host(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


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

    @classmethod
    def private_ipc(cls, folder: Path) -> Endpoints:
        """Return ``ipc://`` endpoints in `folder`, which must be owner-only (0700).

        Loopback TCP ports can be reached by every account on the computer; a Unix
        socket in an owner-only folder cannot: another account cannot even reach
        the socket file. Use a fresh ``tempfile.mkdtemp()`` per session.
        """
        folder = Path(folder)
        info = folder.stat()
        if not stat.S_ISDIR(info.st_mode) or info.st_mode & 0o077 or info.st_uid != os.getuid():
            raise EndpointError(f"{folder} must be a folder of yours with mode 700")
        if len(str(folder)) > _MAX_IPC_FOLDER_CHARS:
            raise EndpointError(
                f"{folder} is too long a path for a Unix socket; use a shorter folder"
            )
        return cls(f"ipc://{folder}/in", f"ipc://{folder}/out")
