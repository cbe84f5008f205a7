"""`analyze` refuses a file holding more beats than a session can (issue 15 item 11).

Before: a file with 10 million beats ran past 300 s at 10.6 GB. A session holds at
most 48 h (the hub and `import` refuse more): 864,000 beats per person at 300 bpm.
A larger file is refused in one line (exit 66) before any work; a file within the
limit is analysed as before.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from coregulate.bus.envelope import make_message
from coregulate.cli import main
from coregulate.recordings.limits import MAX_BEATS_PER_PERSON
from coregulate.recordings.store import SessionStore

S = 1_000_000_000
PER_MESSAGE = 256  # the most beats one message may carry (bus/payload.py)


def _file(path: Path, n_messages: int) -> Path:
    store = SessionStore(path)
    clock = {"monotonic_anchor_ns": 0, "wall_anchor_ns": 1_700_000_000 * S, "speed": 1.0}
    msgs = [make_message("session", "session", 1, 0, {"clock": clock, "mode": "test"})]
    for k in range(n_messages):
        t = [(k * PER_MESSAGE + i) * 200_000_000 for i in range(1, PER_MESSAGE + 1)]
        body = {"t_ns": t, "rr_ms": [200.0] * PER_MESSAGE, "gap_before": False}
        msgs.append(make_message("beat.client", "acq", k + 1, t[-1], body))
    for m in msgs:
        store.add(m, m.header_bytes(), 0)
    store.commit()
    store.close()
    return path


def test_a_file_beyond_a_session_is_refused_at_once(tmp_path: Path, caplog) -> None:
    n = MAX_BEATS_PER_PERSON // PER_MESSAGE + 1
    path = _file(tmp_path / "big.sqlite", n)
    caplog.set_level(logging.WARNING)
    t0 = time.monotonic()
    assert main(["analyze", str(path), "--json", str(tmp_path / "a.json")]) == 66
    assert time.monotonic() - t0 < 30, "it was analysed instead of refused"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and f"{n * PER_MESSAGE} beats of the client" in errors[0]
    assert not (tmp_path / "a.json").exists()


def test_the_limit_is_48_hours_at_300_bpm() -> None:
    assert MAX_BEATS_PER_PERSON == 48 * 3600 * 5 == 864_000
