"""The endpoint parser that decides what stays on this machine (no network touched)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from coregulate.bus.endpoints import EndpointError, Endpoints, endpoint_host, is_loopback


@pytest.mark.parametrize(
    "endpoint",
    [
        "tcp://127.0.0.1:5601",
        "tcp://127.0.0.1:*",
        "tcp://127.42.0.9:5601",  # all of 127.0.0.0/8 is loopback (RFC 1122 §3.2.1.3)
        "tcp://[::1]:5601",
        "tcp://localhost:5601",  # RFC 6761 §6.3
        "tcp://LOCALHOST:5601",
        "tcp://[::ffff:127.0.0.1]:5601",  # IPv4-mapped loopback
        "tcp://127.0.0.1;127.0.0.2:5601",  # source;destination, both local
        "ipc:///tmp/coregulate-x/in",
        "inproc://hub",
    ],
)
def test_loopback_endpoints(endpoint: str) -> None:
    assert is_loopback(endpoint)


@pytest.mark.parametrize(
    "endpoint",
    [
        "tcp://*:5601",  # every interface
        "tcp://0.0.0.0:5601",
        "tcp://[::]:5601",
        "tcp://192.0.2.10:5601",  # TEST-NET-1 (RFC 5737)
        "tcp://[2001:db8::1]:5601",  # documentation prefix (RFC 3849)
        "tcp://[::ffff:192.0.2.10]:5601",
        "tcp://eth0:5601",  # an interface name
        "tcp://lo:5601",  # interface names are never trusted, even "lo"
        "tcp://clinic-pc.local:5601",  # a host name would need resolving
        "tcp://192.0.2.10;127.0.0.1:5601",  # a remote part in source;destination
    ],
)
def test_endpoints_that_may_face_a_network(endpoint: str) -> None:
    assert not is_loopback(endpoint)


@pytest.mark.parametrize(
    "endpoint", ["127.0.0.1:5601", "tcp://", "tcp://127.0.0.1", "udp://127.0.0.1:1", "tcp://:5"]
)
def test_unparseable_endpoints_say_how_to_write_one(endpoint: str) -> None:
    with pytest.raises(EndpointError, match=r"tcp://|transport"):
        is_loopback(endpoint)


def test_host_of_bracketed_ipv6() -> None:
    assert endpoint_host("tcp://[::1]:5601") == "::1"
    assert endpoint_host("ipc:///x") is None


def test_default_endpoints_are_loopback() -> None:
    ep = Endpoints.loopback()
    assert is_loopback(ep.input) and is_loopback(ep.output)
    assert ep.input != ep.output


def test_private_ipc_needs_an_owner_only_folder(tmp_path: Path) -> None:
    open_folder = tmp_path / "open"
    open_folder.mkdir()
    open_folder.chmod(0o755)
    with pytest.raises(EndpointError, match="mode 700"):
        Endpoints.private_ipc(open_folder)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    ep = Endpoints.private_ipc(folder)
    assert ep.input == f"ipc://{folder}/in" and is_loopback(ep.output)


def test_demo_on_a_private_bus(tmp_path: Path) -> None:
    """Unix sockets in a 0700 folder: other accounts cannot connect; nothing is lost."""
    out = tmp_path / "s.sqlite"
    # A short TMPDIR of the test's own: pytest's tmp_path (longer under xdist) can pass the
    # 107 bytes a Unix socket path may hold, and the command would then fall back to /tmp.
    short_tmp = Path(tempfile.mkdtemp(prefix="cr-"))
    args = ["demo", "--headless", "--private-bus", "--duration", "120", "--speed", "60"]
    try:
        run = subprocess.run(
            [sys.executable, "-m", "coregulate.cli", *args, "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "TMPDIR": str(short_tmp)},
        )
    finally:
        leftovers = list(short_tmp.glob("coregulate-*"))
        shutil.rmtree(short_tmp, ignore_errors=True)
    assert run.returncode == 0, run.stderr
    assert "none missing" in run.stdout
    from coregulate.sessionfile.access import read_messages

    session = next(read_messages(out, ("session",))).json()
    assert all(e.startswith(f"ipc://{short_tmp}/coregulate-") for e in session["endpoints"])
    assert not leftovers, "the socket folder is removed after"
