"""`coregulate sync FILE` on small session files written directly (no processes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.bus.envelope import make_message
from coregulate.cli import main
from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.recordings.store import SessionStore
from coregulate.signal.synchrony import SyncParams
from coregulate.stages.sync_stage import SyncStage

NS = 1_000_000_000


def _beat_messages(duration_s: float) -> list:
    sim = simulate_dyad(demo_config(seed=8, duration_s=duration_s))
    rows = []
    for role in ("client", "therapist"):
        truth = sim.truth[role]
        t_ns, rr_ms = truth.t_ns[truth.delivered], truth.rr_ms[truth.delivered]
        for s in np.unique(t_ns // NS):
            idx = np.flatnonzero(t_ns // NS == s)
            beat = {"t_ns": t_ns[idx].tolist(), "rr_ms": rr_ms[idx].tolist(), "gap_before": False}
            rows.append((beat["t_ns"][-1], role, beat))
    rows.sort(key=lambda r: (r[0], r[1]))
    seq = {"client": 0, "therapist": 0}
    msgs = []
    for t, role, beat in rows:
        seq[role] += 1
        msgs.append(make_message(f"beat.{role}", "acq", seq[role], t, beat))
    return msgs


def _write(path: Path, msgs: list) -> None:
    store = SessionStore(path)
    for msg in msgs:
        store.add(msg, msg.header_bytes(), 0)
    store.commit()
    store.close()


def test_sync_command_reproduces_the_live_messages_with_recorded_parameters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    beats = _beat_messages(240.0)
    # The live stage ran with non-default parameters: the file says which.
    live = SyncStage(hr_params=SyncParams(window_s=20.0, max_lag_s=4.0, seed=3), name="sync")
    outputs = [o for m in beats for o in live.update(m)] + live.terminate()
    recorded = [
        make_message(o.topic, "sync", i + 1, o.t_ns, o.payload) for i, o in enumerate(outputs)
    ]
    path = tmp_path / "s.sqlite"
    _write(path, beats + recorded)
    out_json = tmp_path / "sync.json"
    assert main(["sync", str(path), "--json", str(out_json)]) == 0
    text = capsys.readouterr().out
    n = len(recorded)
    assert f"{n} of {n} recomputed messages equal the {n} recorded live (identical)" in text
    assert "hr_bpm:" in text and "positive = therapist leads" in text
    replayed = json.loads(out_json.read_text())
    assert replayed[-1]["params"]["window_s"] == 20.0 and replayed[-1]["params"]["seed"] == 3
    assert out_json.stat().st_mode & 0o777 == 0o600


def test_sync_command_without_live_messages_or_beats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "beats-only.sqlite"
    _write(path, _beat_messages(120.0))
    assert main(["sync", str(path)]) == 0
    assert "computed from the beats only" in capsys.readouterr().out
    empty = tmp_path / "empty.sqlite"
    _write(empty, [])
    assert main(["sync", str(empty)]) == 1
    assert main(["sync", str(tmp_path / "missing.sqlite")]) == BAD_INPUT
