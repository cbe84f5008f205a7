"""A message whose frames never end cannot make the hub hold GBs (issue 15 item 7).

ZeroMQ caps each frame (MAXMSGSIZE) but assembles a multipart message whole before
the hub sees it; a local program speaking ZMTP that sends frame after frame with
the MORE flag made the hub hold 2.1 GB. The hub now resets its input when it holds
more than its bound (`recordings/hub_guard.py`), counting a `memory` rejection; the
session's own producer reconnects and resends, so nothing of the recording is lost.
(A libzmq sender cannot do this: it keeps an unfinished message in its own memory.)
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from coregulate.bus.producer import BusProducer
from coregulate.recordings.hub import Hub, HubConfig
from coregulate.recordings.hub_guard import resident_bytes
from coregulate.sessionfile.access import read_messages

MIB = 2**20
LIMIT = 64 * MIB
ATTACK_MIB = 1024

# ZMTP 3.0 by hand (rfc.zeromq.org/spec/23): greeting, NULL READY as a DEALER, then
# 1 MiB frames flagged MORE|LONG (0x03), never a last one.
ATTACKER = r"""
import socket, struct, sys
host, port = sys.argv[1].removeprefix("tcp://").rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"\xff" + bytes(8) + b"\x7f\x03\x00" + b"NULL".ljust(20, b"\x00") + bytes(32))
s.recv(64)
body = b"\x05READY\x0bSocket-Type" + struct.pack(">I", 6) + b"DEALER"
s.sendall(bytes([0x04, len(body)]) + body)
frame = b"\x03" + struct.pack(">Q", 1 << 20) + b"x" * (1 << 20)
sent = 0
try:
    for sent in range(1, int(sys.argv[2]) + 1):
        s.sendall(frame)
    s.recv(1)  # hold the connection: the message never ends
except OSError:
    pass
print(sent, flush=True)
"""

pytestmark = pytest.mark.skipif(resident_bytes() is None, reason="the guard reads /proc")


def test_endless_frames_are_bounded_and_counted(endpoints, tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    hub = Hub(
        HubConfig(endpoints.input, endpoints.output, str(path), max_input_backlog_bytes=LIMIT)
    )
    stop = threading.Event()
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    start_rss = resident_bytes()
    producer = BusProducer(endpoints.input, "acq", resend_after_s=0.5)
    attacker = subprocess.Popen(
        [sys.executable, "-c", ATTACKER, endpoints.input, str(ATTACK_MIB)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        seq = 0
        deadline = time.monotonic() + 60
        while attacker.poll() is None and time.monotonic() < deadline:
            seq += 1
            producer.send("marker", {"i": seq}, seq)
            producer.pump()
            time.sleep(0.05)
        sent_mib = int(attacker.communicate(timeout=5)[0])
        assert producer.flush(timeout_s=15), "the producer was not acknowledged after the reset"
        time.sleep(0.5)
        settled = resident_bytes() - start_rss
    finally:
        attacker.kill()
        stop.set()
        thread.join(10)
        producer.close()
    assert hub.rejected.get("memory", 0) >= 1, "the hub never reset its input"
    assert sent_mib < ATTACK_MIB / 2, f"the hub took {sent_mib} MiB of one message"
    assert settled < LIMIT, f"still {settled / MIB:.0f} MiB held after the reset"
    assert [m.json()["i"] for m in read_messages(path, ("marker",))] == list(range(1, seq + 1))
