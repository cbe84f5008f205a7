"""Only the session's own account can reach its bus (issue 15 item 7).

On Linux and macOS every session command (demo, monitor, replay) puts its hub on
Unix sockets in a fresh owner-only folder by default, so another account cannot
publish fake markers, ratings or `status.hub`, nor read the stream; `--tcp-bus`
opts back into loopback TCP.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import tempfile
import time
from pathlib import Path

import pytest
import zmq

from coregulate.bus.endpoints import Endpoints
from coregulate.bus.producer import BusProducer
from coregulate.cli import main
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.sessionfile.access import read_messages

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith(("linux", "darwin")), reason="Unix sockets: Linux and macOS"
)
SHORT = ["--headless", "--duration", "30", "--speed", "60"]


@pytest.fixture(autouse=True)
def _homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR


def _endpoints(path: Path) -> list[str]:
    return next(read_messages(path, ("session",))).json()["endpoints"]


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--no-dialog"],
        ["monitor", "--client", "sim", "--therapist", "sim"],
    ],
)
def test_session_commands_use_an_owner_only_bus_by_default(argv, tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    assert main([*argv, *SHORT, "--out", str(out)]) == 0
    endpoints = _endpoints(out)
    assert all(e.startswith("ipc://") for e in endpoints), endpoints
    folder = Path(endpoints[0].removeprefix("ipc://")).parent
    assert folder.name.startswith("coregulate-")
    assert not folder.exists(), "the socket folder is removed after"
    replayed = tmp_path / "r.sqlite"
    assert main(["replay", str(out), "--headless", "--speed", "60", "--out", str(replayed)]) == 0
    assert all(e.startswith("ipc://") for e in _endpoints(replayed))


def test_tcp_bus_opts_back_into_loopback_tcp(tmp_path: Path) -> None:
    out = tmp_path / "s.sqlite"
    argv = ["monitor", "--client", "sim", "--therapist", "sim", "--tcp-bus"]
    assert main([*argv, *SHORT, "--out", str(out)]) == 0
    assert all(e.startswith("tcp://127.0.0.1:") for e in _endpoints(out))


def test_monitor_takes_viewers_like_demo(tmp_path: Path, caplog) -> None:
    """`--viewers` on monitor: without keys it refuses before anything starts."""
    out = tmp_path / "s.sqlite"
    argv = ["monitor", "--client", "sim", "--therapist", "sim", *SHORT]
    assert main([*argv, "--viewers", "tcp://127.0.0.1:1", "--out", str(out)]) == 2
    assert "coregulate keys create hub" in caplog.text
    assert not out.exists()


def _connect_as(uid: int, path: str) -> int:
    """Return 0 if a process running as `uid` can connect to the Unix socket `path`."""
    pid = os.fork()
    if pid == 0:  # the child: become the other account, then try
        code = 2
        try:
            os.setgid(uid)
            os.setuid(uid)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to another account needs root")
def test_another_account_cannot_reach_a_private_bus(tmp_path: Path) -> None:
    """A process of another account (uid 65534, `nobody`) is refused by the kernel."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    tmp_path.chmod(0o755)  # the test's own folder must not be what keeps it out
    ep = Endpoints.private_ipc(folder)
    hub = Hub(HubConfig(ep.input, ep.output, str(tmp_path / "s.sqlite")))
    try:
        in_path = ep.input.removeprefix("ipc://")
        assert _connect_as(os.getuid(), in_path) == 0  # the owner can
        assert _connect_as(65534, in_path) == 1  # nobody else can
        assert _connect_as(65534, ep.output.removeprefix("ipc://")) == 1
        producer = BusProducer(ep.input, "ok", context=zmq.Context.instance())
        producer.send("marker", {"kind": "note"}, 1)
        deadline = time.monotonic() + 5
        while producer.pending and time.monotonic() < deadline:
            hub.step(0.05)
            producer.pump()
        assert producer.pending == 0
        producer.close()
    finally:
        hub.close()


def test_a_restarted_stage_on_the_private_bus_replays_and_keeps_its_streams(
    tmp_path: Path,
) -> None:
    """The sync stage killed mid-session on the owner-only bus: its replay is asked on
    the private input (nothing on TCP), and under the routing id the session gives it
    again (bus/routing.py) the hub refuses none of its new outputs as `owner`; its
    messages equal a clean run's."""
    from coregulate.commands._bus import session_bus
    from coregulate.session import DemoOptions, Session
    from coregulate.sessionfile.access import read_meta
    from process_support import derived_equal_to_a_clean_run

    out = tmp_path / "s.sqlite"
    # The commands' own folder choice (a short one when TMPDIR is too long for sun_path).
    with (
        session_bus(tcp=False) as endpoints,
        Session(
            DemoOptions(out=out, duration_s=240.0, speed=30.0, seed=6, endpoints=endpoints)
        ) as session,
    ):
        session.start()
        killed_at, killed = time.monotonic() + 3.0, False
        while session.acquisition_running():
            if not killed and time.monotonic() > killed_at:
                os.kill(session._procs["sync"].pid, signal.SIGKILL)
                killed = True
            session.supervise()
            time.sleep(0.05)
        assert killed and session._restarts["sync"] == 1
    assert all(e.startswith("ipc://") for e in _endpoints(out))
    assert {m.source for m in read_messages(out, ("sync",))} == {"sync"}
    assert read_meta(out)["hub_rejected"].get("owner", 0) == 0
    assert derived_equal_to_a_clean_run(out)
