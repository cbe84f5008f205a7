"""Remote viewing is encrypted and allow-listed; plaintext never leaves the machine.

All on loopback with real sockets: the viewer output uses CurveZMQ even on
127.0.0.1, so the same code path is tested without touching any network.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from coregulate.bus.endpoints import Endpoints, free_tcp_port
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber, CurveClientKeys
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.security.access import BindRefused, ViewerAccess, check_bind_policy
from coregulate.security.keys import KeyStore, fingerprint


@pytest.fixture
def keys(tmp_path: Path) -> KeyStore:
    store = KeyStore(tmp_path / "keys")
    store.create("hub")
    viewer = store.create("viewer")
    store.create("stranger")
    store.allow("supervisor-1", viewer.public_key)
    return store


class CurveHub:
    """A hub in a thread with an encrypted viewer output on loopback."""

    def __init__(self, path: Path, access: ViewerAccess) -> None:
        self.endpoints = Endpoints.loopback()
        self.hub = Hub(
            HubConfig(self.endpoints.input, self.endpoints.output, str(path), viewers=access)
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.hub.run, args=(self._stop,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


@pytest.fixture
def curve_hub(tmp_path: Path, keys: KeyStore) -> Iterator[CurveHub]:
    access = ViewerAccess.from_keystore(f"tcp://127.0.0.1:{free_tcp_port()}", keys)
    hub = CurveHub(tmp_path / "session.sqlite", access)
    yield hub
    hub.stop()


def _curve(keys: KeyStore, name: str, server_key: str | None = None) -> CurveClientKeys:
    pair = keys.load(name)
    assert pair.secret_key is not None
    return CurveClientKeys(
        server_key or keys.load("hub").public_key, pair.public_key, pair.secret_key
    )


def test_allow_listed_viewer_receives_and_others_get_nothing(
    curve_hub: CurveHub, keys: KeyStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="coregulate.security.access")
    endpoint = curve_hub.hub.config.viewers.endpoint
    viewer = BusSubscriber(endpoint, curve=_curve(keys, "viewer"))
    stranger = BusSubscriber(endpoint, curve=_curve(keys, "stranger"))
    plaintext = BusSubscriber(endpoint)
    # A viewer that holds an allowed key but trusts the wrong hub key: an impostor
    # hub could not decrypt, and this one cannot be impersonated.
    wrong_server = BusSubscriber(
        endpoint, curve=_curve(keys, "viewer", server_key=keys.load("stranger").public_key)
    )
    producer = BusProducer(curve_hub.endpoints.input, "acq")
    got = []
    deadline = time.monotonic() + 20
    i = 0
    # PUB drops what precedes a subscription: keep sending until the viewer is in.
    while len(got) < 20 and time.monotonic() < deadline:
        i += 1
        producer.send("beat.client", {"i": i}, i)
        producer.pump()
        msg = viewer.recv(timeout_ms=20)
        if msg is not None:
            got.append(msg)
    assert len(got) == 20, "the allow-listed viewer received nothing"
    assert [m.topic for m in got] == ["beat.client"] * 20
    assert [m.json()["i"] for m in got] == list(range(got[0].seq, got[0].seq + 20))
    for _ in range(25):  # half a second more of traffic while the others keep trying
        i += 1
        producer.send("beat.client", {"i": i}, i)
        producer.pump()
        time.sleep(0.02)
    assert producer.flush(timeout_s=10)
    for other in (stranger, plaintext, wrong_server):
        assert other.recv(timeout_ms=300) is None
        assert other.drain() == []
    gate = curve_hub.hub._viewers.gate
    assert gate.admitted >= 1
    assert gate.refused >= 1  # the stranger, refused by ZAP (plaintext fails before ZAP)
    stranger_fp = fingerprint(keys.load("stranger").public_key)
    refusals = [r.getMessage() for r in caplog.records if "refused a viewer" in r.getMessage()]
    assert any(stranger_fp in text for text in refusals), refusals
    # No secret key ever reaches a log line.
    for name in ("hub", "viewer", "stranger"):
        assert all(keys.load(name).secret_key not in r.getMessage() for r in caplog.records)
    curve_hub.stop()
    assert curve_hub.hub.counters()["viewers_refused"] == gate.refused
    for s in (viewer, stranger, plaintext, wrong_server):
        s.close()
    producer.close()


def test_local_output_stays_plaintext_loopback(curve_hub: CurveHub) -> None:
    """Local stages keep using the loopback output without keys."""
    sub = BusSubscriber(curve_hub.endpoints.output)
    producer = BusProducer(curve_hub.endpoints.input, "acq")
    time.sleep(0.2)
    producer.send("status.client", {"status": "streaming"}, 0)
    assert producer.flush(timeout_s=5)
    msg = sub.recv(timeout_ms=2000)
    assert msg is not None and msg.json() == {"status": "streaming"}
    sub.close()
    producer.close()


# -- the bind policy: checked before any socket exists --------------------------------


@pytest.mark.parametrize(
    "output", ["tcp://0.0.0.0:5602", "tcp://*:5602", "tcp://192.0.2.10:5602", "tcp://eth0:5602"]
)
def test_hub_refuses_plaintext_output_off_this_machine(tmp_path: Path, output: str) -> None:
    path = tmp_path / "s.sqlite"
    with pytest.raises(BindRefused) as info:
        Hub(HubConfig("tcp://127.0.0.1:5601", output, str(path)))
    text = str(info.value)
    assert output in text
    for step in ("coregulate keys create hub", "coregulate keys allow", "--viewers"):
        assert step in text
    assert not path.exists(), "nothing may be opened before the policy check"


def test_hub_input_never_leaves_this_machine(tmp_path: Path, keys: KeyStore) -> None:
    access = ViewerAccess.from_keystore("tcp://192.0.2.10:5603", keys)
    with pytest.raises(BindRefused, match=r"input .* stays on this machine"):
        Hub(
            HubConfig(
                "tcp://0.0.0.0:5601", "tcp://127.0.0.1:5602", str(tmp_path / "s"), viewers=access
            )
        )


def test_remote_viewers_need_keys_and_an_allow_list(tmp_path: Path) -> None:
    empty = KeyStore(tmp_path / "nokeys")
    with pytest.raises(BindRefused, match="coregulate keys create hub"):
        ViewerAccess.from_keystore("tcp://192.0.2.10:5603", empty)
    empty.create("hub")
    access = ViewerAccess.from_keystore("tcp://192.0.2.10:5603", empty)
    with pytest.raises(BindRefused, match="no viewer is on the allow-list"):
        check_bind_policy("tcp://127.0.0.1:1", "tcp://127.0.0.1:2", access)


def test_remote_viewers_with_keys_pass_the_policy(keys: KeyStore) -> None:
    """The check alone (no bind: tests never open a port off loopback)."""
    access = ViewerAccess.from_keystore("tcp://192.0.2.10:5603", keys)
    check_bind_policy("tcp://127.0.0.1:5601", "tcp://127.0.0.1:5602", access)
    assert access.allowed == (("supervisor-1", keys.load("viewer").public_key),)
    assert keys.load("hub").secret_key not in repr(access)


def test_plaintext_subscriber_default_is_unchanged(endpoints: Endpoints) -> None:
    sub = BusSubscriber(endpoints.output)
    assert sub.socket.getsockopt(zmq.MECHANISM) == zmq.NULL
    sub.close()


def test_a_session_serves_allow_listed_viewers(tmp_path: Path, keys: KeyStore) -> None:
    """The whole wiring: demo session processes, the hub process's ZAP gate, a viewer."""
    from coregulate.session import DemoOptions, Session

    access = ViewerAccess.from_keystore(f"tcp://127.0.0.1:{free_tcp_port()}", keys)
    options = DemoOptions(out=tmp_path / "s.sqlite", duration_s=120.0, speed=30.0, viewers=access)
    viewer = BusSubscriber(
        access.endpoint, ("metrics.", "status.hub"), curve=_curve(keys, "viewer")
    )
    stranger = BusSubscriber(access.endpoint, curve=_curve(keys, "stranger"))
    topics: set[str] = set()
    with Session(options) as session:
        session.start()
        while session.acquisition_running():
            msg = viewer.recv(timeout_ms=50)
            if msg is not None:
                topics.add(msg.topic)
            session.supervise()
    assert {"metrics.client", "metrics.therapist", "status.hub"} <= topics
    assert stranger.drain() == []
    from coregulate.sessionfile.access import read_meta

    meta = read_meta(options.out)
    assert meta["hub_viewers_admitted"] >= 1
    assert meta["hub_viewers_refused"] >= 1
    viewer.close()
    stranger.close()


def _feed_metrics(endpoint: str, stop: threading.Event) -> None:
    producer = BusProducer(endpoint, "signal")
    i = 0
    while not stop.is_set():
        i += 1
        for role, hr in (("client", 72.4), ("therapist", 64.6)):
            payload = {"hr_bpm": hr, "rmssd_ms": 41.0, "unavailable": {}}
            producer.send(f"metrics.{role}", payload, i * 1_000_000_000)
        producer.pump()
        time.sleep(0.05)
    producer.flush(5)
    producer.close()


@pytest.mark.parametrize("who", ["viewer", "stranger"])
def test_watch_command(
    curve_hub: CurveHub, keys: KeyStore, capsys, caplog, monkeypatch, who
) -> None:
    from coregulate.cli import main
    from coregulate.commands import watch
    from coregulate.commands._exit_codes import FAILED, OK

    monkeypatch.setattr(watch, "QUIET_HINT_S", 1.0)
    stop = threading.Event()
    feeder = threading.Thread(target=_feed_metrics, args=(curve_hub.endpoints.input, stop))
    feeder.start()
    argv = ["watch", curve_hub.hub.config.viewers.endpoint]
    # "--hub-key=KEY": a Z85 key may begin with "-", which argparse would misread.
    argv += [f"--hub-key={keys.load('hub').public_key}", "--key", who, "--dir", str(keys.root)]
    try:
        code = main([*argv, "--seconds", "3"])
    finally:
        stop.set()
        feeder.join(10)
    out = capsys.readouterr().out
    assert fingerprint(keys.load("hub").public_key) in out
    if who == "viewer":
        assert code == OK
        assert re.search(r"client HR 72 bpm RMSSD 41 ms · therapist HR 65 bpm", out), out
        assert "no data" not in out + caplog.text
    else:
        # A key the hub refuses receives nothing: that is a failure, said in one line.
        assert code == FAILED
        assert "HR" not in out
        errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and "\n" not in errors[0]
        mine = fingerprint(keys.load(who).public_key)
        assert f"allowed your key (fingerprint {mine})" in errors[0]


def test_watch_refuses_a_wrong_hub_key(keys: KeyStore, caplog) -> None:
    from coregulate.cli import main

    argv = ["watch", "tcp://127.0.0.1:1", "--hub-key", "nonsense", "--dir", str(keys.root)]
    assert main(argv) == 2
    assert "40 Z85 characters" in caplog.text


def test_a_busy_viewer_port_is_a_clear_refusal(tmp_path: Path, keys: KeyStore) -> None:
    ep = Endpoints.loopback()
    same = ViewerAccess.from_keystore(ep.output, keys)
    with pytest.raises(BindRefused, match="port of their own"):
        Hub(HubConfig(ep.input, ep.output, str(tmp_path / "a.sqlite"), viewers=same))
    blocker = zmq.Context.instance().socket(zmq.PUB)
    blocker.setsockopt(zmq.LINGER, 0)
    busy = f"tcp://127.0.0.1:{free_tcp_port()}"
    blocker.bind(busy)
    try:
        access = ViewerAccess.from_keystore(busy, keys)
        with pytest.raises(BindRefused, match="choose a free port"):
            Hub(HubConfig(ep.input, ep.output, str(tmp_path / "b.sqlite"), viewers=access))
        # The hub released what it had opened: the same endpoints bind again.
        Hub(HubConfig(ep.input, ep.output, str(tmp_path / "c.sqlite"))).close()
    finally:
        blocker.close()
