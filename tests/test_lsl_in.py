"""LSL in: `monitor --client lsl:NAME` and `--lsl-markers NAME`, fed by real pylsl outlets.

Real data: pyhrv's 5-minute NN series and its sample ECG (tests/data/pyhrv/README.md).
Everything runs on this computer (machine scope, `lsl_support.machine_pylsl`).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from coregulate.acquisition.lsl import ClockMap
from coregulate.sessionfile.access import SessionFileError
from lsl_support import (
    bitalino_ecg_uv_130hz,
    ecg_outlet,
    machine_pylsl,
    pyhrv_nn_short_ms,
    recorded,
    recorded_beats,
    rr_outlet,
    unique,
    wait_for_consumer,
)

CLI = [sys.executable, "-m", "coregulate.cli"]


def _monitor(tmp_path: Path, client: str, *extra: str) -> tuple[subprocess.Popen, Path]:
    """Start `monitor --client CLIENT --therapist sim --headless`; return it and its file."""
    out = tmp_path / "s.sqlite"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
    }
    args = ["monitor", "--client", client, "--therapist", "sim", "--headless", "--out", str(out)]
    proc = subprocess.Popen(
        [*CLI, *args, *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return proc, out


def _replayed_equals_live(tmp_path: Path, out: Path) -> None:
    """`coregulate replay` of the file gives the client's beats exactly as recorded live."""
    review = tmp_path / "review.sqlite"
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    run = subprocess.run(
        [*CLI, "replay", str(out), "--speed", "20", "--headless", "--out", str(review)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    for topic in ("beat.client", "lsl.client"):
        assert recorded(review, topic) == recorded(out, topic), topic
    # The statuses too (refusals included), plus the "ended" a replay adds at its end.
    live, replayed = recorded(out, "status.client"), recorded(review, "status.client")
    assert replayed[:-1] == live and replayed[-1]["status"] == "ended"


def _end(proc: subprocess.Popen) -> str:
    """End the session as Ctrl-C does; return its stderr once it has exited 0."""
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    return err


def _clock(out: Path) -> ClockMap:
    (body,) = recorded(out, "lsl.clock")
    return ClockMap.from_dict(body)


def _push(outlet: Any, values: np.ndarray, stamps: np.ndarray) -> None:
    for value, stamp in zip(values.tolist(), stamps.tolist(), strict=True):
        outlet.push_sample([value], stamp)


def test_an_rr_outlet_gives_the_same_beats_and_a_vanished_one_is_a_gap(tmp_path: Path) -> None:
    pylsl = machine_pylsl()
    nn_ms = pyhrv_nn_short_ms()  # 337 real intervals (pyhrv SampleNNISeriesShort.npy)
    rr_name, markers_name = unique("test-rr"), unique("test-markers")
    outlet = rr_outlet(pylsl, rr_name)
    markers = pylsl.StreamOutlet(
        pylsl.StreamInfo(markers_name, "Markers", 1, 0, "string", f"test-{markers_name}")
    )
    proc, out = _monitor(tmp_path, f"lsl:{rr_name}", "--lsl-markers", markers_name)
    try:
        wait_for_consumer(outlet)
        wait_for_consumer(markers)
        now_s = pylsl.local_clock()
        # Each beat stamped at its own time, the last one now (as coregulate's outlet does).
        stamps = now_s - nn_ms.sum() / 1e3 + np.cumsum(nn_ms) / 1e3
        half = len(nn_ms) // 2
        _push(outlet, nn_ms[:half], stamps[:half])
        markers.push_sample(["stimulus onset"], now_s)
        time.sleep(1.0)  # read before the outlet goes
        del outlet  # the stream vanishes: a strap that dropped
        time.sleep(2.0)
        outlet = rr_outlet(pylsl, rr_name)  # ...and returns (same source_id)
        wait_for_consumer(outlet, 15.0)
        _push(outlet, nn_ms[half:], stamps[half:])
        time.sleep(1.0)
    finally:
        _end(proc)
    t_ns, rr_ms, gaps = recorded_beats(out, "client")
    assert rr_ms == nn_ms.tolist()  # the same beats, every one, same values
    clock = _clock(out)
    worst_s = max(abs(clock.lsl_s(t) - s) for t, s in zip(t_ns, stamps.tolist(), strict=True))
    assert worst_s < 1e-3
    # A new segment where the stream came back, and nowhere else.
    assert [i for i, gap in enumerate(gaps) if gap] == [0, half]
    words = [b["status"] for b in recorded(out, "status.client")]
    assert "disconnected" in words
    assert words.index("streaming") < words.index("disconnected")
    assert "streaming" in words[words.index("disconnected") :]
    (marker,) = [m for m in recorded(out, "marker") if m.get("from") == f"lsl:{markers_name}"]
    assert marker["text"] == "stimulus onset"
    assert abs(clock.lsl_s(marker["t_ns"]) - now_s) < 1e-3
    _replayed_equals_live(tmp_path, out)


def test_an_ecg_outlet_gives_neurokit2s_r_peaks(tmp_path: Path) -> None:
    import neurokit2 as nk

    pylsl = machine_pylsl()
    ecg_uv = bitalino_ecg_uv_130hz()  # pyhrv SampleECG.txt, 22 s, resampled to 130 Hz
    name = unique("test-ecg")
    outlet = ecg_outlet(pylsl, name)
    proc, out = _monitor(tmp_path, f"lsl:{name}")
    try:
        wait_for_consumer(outlet)
        t0_s = pylsl.local_clock() - (len(ecg_uv) - 1) / 130.0
        _push(outlet, ecg_uv, t0_s + np.arange(len(ecg_uv)) / 130.0)
        time.sleep(2.0)
    finally:
        _end(proc)
    # The reference: NeuroKit2's default R peaks on the whole signal, at sample times.
    _, info = nk.ecg_peaks(nk.ecg_clean(ecg_uv, sampling_rate=130), sampling_rate=130)
    reference_s = t0_s + np.asarray(info["ECG_R_Peaks"]) / 130.0
    raw = recorded(out, "lsl.client")
    offset_s = raw[-1]["lsl_s_last"] - raw[-1]["t_last_ns"] / 1e9  # session → LSL (speed 1)
    t_ns, _, _ = recorded_beats(out, "client")
    beats_s = np.asarray(t_ns) / 1e9 + offset_s
    errors_ms = [1e3 * np.min(np.abs(reference_s - b)) for b in beats_s]
    assert max(errors_ms) <= 10.0
    # Every reference peak away from the ends (the detector's first window, its
    # 1 s settle and 2 s step at the end) has its beat.
    inner = reference_s[(reference_s > t0_s + 6.0) & (reference_s < reference_s[-1] - 3.0)]
    assert len(inner) > 10
    assert all(np.min(np.abs(beats_s - r)) <= 0.010 for r in inner)
    _replayed_equals_live(tmp_path, out)


def test_a_hostile_stream_is_refused_and_counted_and_the_session_goes_on(tmp_path: Path) -> None:
    pylsl = machine_pylsl()
    name = unique("test-hostile")
    eeg = rr_outlet(pylsl, name, kind="EEG")  # the right name, the wrong type
    proc, out = _monitor(tmp_path, f"lsl:{name}")
    try:
        deadline = time.monotonic() + 30.0
        while not out.exists() or not _flags(out):  # refused before anything else
            assert time.monotonic() < deadline and proc.poll() is None, "no refusal recorded"
            time.sleep(0.2)
        good = rr_outlet(pylsl, name)  # then a proper RR stream of that name, sending NaN
        wait_for_consumer(good, 15.0)
        now_s = pylsl.local_clock()
        _push(good, np.array([810.0, np.nan, 790.0]), np.array([now_s - 2, now_s - 1, now_s]))
        time.sleep(1.0)
    finally:
        err = _end(proc)
    flags = _flags(out)
    assert [f["kind"] for f in flags] == ["wrong type", "not a number"]
    assert flags[-1]["counts"] == {"wrong type": 1, "not a number": 1}
    assert f"LSL stream {name!r} has type 'EEG', not RR or ECG" in err  # said plainly
    _, rr_ms, gaps = recorded_beats(out, "client")
    assert rr_ms == [810.0, 790.0] and gaps == [True, True]
    assert recorded_beats(out, "therapist")[1]  # the other strap never stopped
    _replayed_equals_live(tmp_path, out)  # the refusals too
    del eeg


def _flags(out: Path) -> list[dict]:
    try:
        return [b for b in recorded(out, "status.client") if b["status"] == "bad payload"]
    except (SessionFileError, sqlite3.Error):  # the file is being created
        return []
