"""The live window: redraw time and viewer CPU with 60 minutes of history for both people.

Setup: a feeder process runs a hub (recording to a session file) and a producer
that first sends 60 minutes of synthetic dyad messages as fast as it can (metrics
for both people and heart-rate synchrony, one step per second: the signal and sync
stages' rates) and then keeps sending one step per second in real time. This
process is only the viewer: it opens `LiveWindow` offscreen on that session,
backfills the hour from the file, and is measured.

- CPU: the viewer's own process CPU time (`time.process_time`, all its threads)
  over wall time while live data arrive, at the default poll (50 ms) and redraw
  (250 ms) timers, in the full view with history "all" (its worst case) and in the
  calm view.
- Redraw: one frame = one new step of data for both people and synchrony, then
  `redraw()`, `repaint()` and the event processing in which the plots'
  scenes paint (software rendering, offscreen), timed with `perf_counter_ns`.
  Every frame has new data on every curve: the worst case (a frame with nothing
  new skips the curves).

Run alone: ``python benchmarks/bench_ui.py`` (with `benchmarks/` and `src/` on the path);
``--group`` times only the 4-person window (fed directly, no hub: about 20 s).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import time
from typing import Any

import numpy as np

from _harness import (
    CORRECTNESS,
    Check,
    Column,
    Result,
    run_alone,
    standalone_parser,
    temp_folder,
)

NAME = "ui"
TITLE = "Live window: redraw and viewer CPU with 60 min of history"
GOAL_P95_MS = 16.0
GOAL_CPU_SHARE = 0.20
NS = 1_000_000_000

COLUMNS = [
    Column("what", "measure"),
    Column("n", "n", "{:,}"),
    Column("p50_ms", "p50 ms", "{:.1f}"),
    Column("p95_ms", "p95 ms", "{:.1f}"),
    Column("max_ms", "max ms", "{:.1f}"),
    Column("cpu_p95_ms", "CPU p95 ms", "{:.1f}"),
    Column("cpu_pct", "CPU % of a core", "{:.1f}"),
]


def _feeder(
    endpoints: tuple[str, str], path: str, history_s: float, live_s: float, ready: Any
) -> None:
    """Hub plus producer: the history at once, then one step per second in real time."""
    from coregulate.bus.producer import BusProducer
    from coregulate.recordings.hub import Hub, HubConfig
    from coregulate.ui.synthetic import synthetic_session

    stop = threading.Event()
    hub = Hub(HubConfig(endpoints[0], endpoints[1], path))
    thread = threading.Thread(target=hub.run, args=(stop,), daemon=True)
    thread.start()
    producer = BusProducer(endpoints[0], "signal")
    started = None
    for msg in synthetic_session(history_s + live_s, seed=7):
        t_s = msg.t_ns / NS
        if t_s > history_s:
            if started is None:
                producer.flush(60)
                ready.set()
                started = time.monotonic()
            delay = started + (t_s - history_s) - time.monotonic()
            while delay > 0:
                producer.pump()
                time.sleep(min(delay, 0.05))
                delay = started + (t_s - history_s) - time.monotonic()
        producer.send(msg.topic, msg.json(), msg.t_ns)
        producer.pump()
    producer.flush(10)
    producer.close()
    stop.set()
    thread.join(10)


def _step_messages(model: Any, t_s: float, seq: int) -> list[Any]:
    """One more second for both people and the synchrony, from a source of its own."""
    from coregulate.bus.envelope import make_message

    rng = np.random.default_rng(seq)
    out = []
    for role, hr in (("client", 74.0), ("therapist", 64.0)):
        payload = {
            "hr_bpm": hr + rng.normal(),
            "ln_rmssd": 3.5 + rng.normal(0, 0.05),
            "rmssd_ms": 33.0,
            "artifact_share": 0.01,
            "ln_hf": 6.0,
            "rsa_ln_ms2": 5.8,
            "arousal_index": 0.2,
            "state": "settled",
            "unavailable": {},
        }
        out.append(make_message(f"metrics.{role}", "bench", seq, int(t_s * NS), payload))
    window = {
        "peak_r": 0.4,
        "peak_z": 0.42,
        "peak_lag_s": 1.0,
        "r_lag0": 0.3,
        "leader": "therapist",
    }
    out.append(
        make_message("sync", "bench", seq, int(t_s * NS), {"series": "hr_bpm", "window": window})
    )
    return out


def _group_step_messages(model: Any, t_s: float, seq: int) -> list[Any]:
    """One more second of a group session: every person, every pair and the group index."""
    from coregulate.bus.envelope import make_message
    from coregulate.signal.people import SYNC_GROUP_TOPIC, pairs, sync_topic

    out = []
    keys = model.keys
    for msg in _step_messages(model, t_s, seq)[:1]:
        out += [make_message(f"metrics.{k}", "bench", seq, msg.t_ns, msg.json()) for k in keys]
    window = {"peak_r": 0.4, "peak_z": 0.42, "peak_lag_s": 1.0, "r_lag0": 0.3}
    for a, b in pairs(keys):
        body = {"series": "hr_bpm", "window": window, "pair": [a, b]}
        out.append(make_message(sync_topic(a, b, len(keys)), "bench", seq, int(t_s * NS), body))
    group = {"index": "cluster_phase_rho", "value": 0.4, "chance_95": 0.3, "above_chance": True}
    group["n_coupled_pairs_above_chance"] = 3
    out.append(make_message(SYNC_GROUP_TOPIC, "bench", seq, int(t_s * NS), group))
    return out


def _group_window(app: Any, history_s: float) -> Any:
    """Return a window holding a 4-person session's `history_s` (no hub: the model is fed)."""
    from coregulate.ui.live_window import LiveWindow
    from coregulate.ui.synthetic_group import GroupStory, synthetic_group_session

    window = LiveWindow(None, view="full")
    window.show()
    for msg in synthetic_group_session(history_s, GroupStory.demo(4), seed=7):
        window.model.ingest(msg)
    window._poll_timer.stop()
    window._redraw_timer.stop()
    window.redraw(force=True)
    app.processEvents()
    return window


def _group_frames(
    app: Any, history_s: float, n_frames: int, rows: list[dict[str, Any]]
) -> dict[str, np.ndarray]:
    """Time frames of a 4-person session's window (full view, every history; calm); add rows."""
    group = _group_window(app, history_s)
    frames = {}
    for label, view, history_index in (
        ("4 people, full view, history all (60+ min)", "full", 4),
        ("4 people, full view, history 60 min", "full", 3),
        ("4 people, full view, history 30 min", "full", 2),
        ("4 people, full view, history 10 min", "full", 1),
        ("4 people, full view, history 5 min", "full", 0),
        ("4 people, calm view", "calm", 1),
    ):
        group.set_view(view)
        group.full.history.setCurrentIndex(history_index)
        _frames(group, app, 10)  # warm-up
        times, cpu_ms = _frames(group, app, n_frames)
        frames[label] = times
        rows.append(
            {
                "what": f"frame: new data + redraw + repaint, {label}",
                "n": n_frames,
                "p50_ms": float(np.median(times)),
                "p95_ms": float(np.percentile(times, 95)),
                "max_ms": float(times.max()),
                "cpu_p95_ms": float(np.percentile(cpu_ms, 95)),
            }
        )
    group.close()
    app.processEvents()
    return frames


def _frames(window: Any, app: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return wall and main-thread CPU times (ms) of `n` frames, each with new data everywhere.

    The CPU time tells the frame's own work from waiting for a core on a shared machine.
    """
    model = window.model
    step = _group_step_messages if model.is_group() else _step_messages
    wall, cpu = np.empty(n), np.empty(n)
    for i in range(n):
        t_s = model.now_s + 1.0
        for msg in step(model, t_s, 100_000 + int(t_s)):
            model.ingest(msg)
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        window.redraw()
        window.repaint()
        app.processEvents()  # the plots' scenes paint here, not in repaint()
        wall[i] = (time.perf_counter_ns() - t0) / 1e6
        cpu[i] = (time.thread_time_ns() - c0) / 1e6
    return wall, cpu


def _cpu(app: Any, seconds: float) -> float:
    """Return the share of one core this process used while its event loop ran `seconds`."""
    wall0, cpu0 = time.monotonic(), time.process_time()
    end = wall0 + seconds
    while time.monotonic() < end:
        # Like app.exec(): handle what is due, then sleep until the next event.
        app.processEvents()
        time.sleep(0.005)
    return (time.process_time() - cpu0) / (time.monotonic() - wall0)


def run(quick: bool = False) -> Result:
    """Return the UI benchmark's table and checks."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from coregulate.bus.endpoints import Endpoints
    from coregulate.ui.live_window import DEFAULT_POLL_MS, DEFAULT_REDRAW_MS, LiveWindow

    history_s = 3600.0
    cpu_s = 5.0 if quick else 30.0  # --quick stays within ~20 s
    n_frames = 60 if quick else 300
    ep = Endpoints.loopback()
    rows: list[dict[str, Any]] = []
    with temp_folder() as folder:
        path = str(folder / "bench.sqlite")
        ctx = mp.get_context("spawn")
        ready = ctx.Event()
        feeder = ctx.Process(
            target=_feeder, args=((ep.input, ep.output), path, history_s, 2 * cpu_s + 30, ready)
        )
        feeder.start()
        try:
            if not ready.wait(300):
                raise RuntimeError("the feeder did not record the hour of history within 300 s")
            app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
            t0 = time.monotonic()
            window = LiveWindow(ep.output, None, path, view="full")
            window.show()
            while window.feed.backfilling or window.model.now_s < history_s:
                app.processEvents()
            backfill_s = time.monotonic() - t0
            n_backfilled = window.model.count()
            window.full.history.setCurrentIndex(window.full.history.count() - 1)  # "all"
            window.redraw(force=True)
            # Timers are the window's own (DEFAULT_POLL_MS, DEFAULT_REDRAW_MS).
            cpu_full = _cpu(app, cpu_s)
            rows.append(
                {
                    "what": f"viewer CPU, full view, history all, live data ({cpu_s:g} s)",
                    "cpu_pct": 100 * cpu_full,
                }
            )
            window.set_view("calm")
            cpu_calm = _cpu(app, cpu_s)
            rows.append(
                {
                    "what": f"viewer CPU, calm view, live data ({cpu_s:g} s)",
                    "cpu_pct": 100 * cpu_calm,
                }
            )
            live_received = window.feed.from_bus
            window._poll_timer.stop()
            window._redraw_timer.stop()
            frames = {}
            for label, view, history_index in (
                ("full view, history all (60+ min)", "full", 4),
                ("full view, history 60 min", "full", 3),
                ("full view, history 10 min", "full", 1),
                ("calm view (10 min trends)", "calm", 1),
            ):
                window.set_view(view)
                window.full.history.setCurrentIndex(history_index)
                _frames(window, app, 10)  # warm-up
                times, cpu_ms = _frames(window, app, n_frames)
                frames[label] = times
                rows.append(
                    {
                        "what": f"frame: new data + redraw + repaint, {label}",
                        "n": n_frames,
                        "p50_ms": float(np.median(times)),
                        "p95_ms": float(np.percentile(times, 95)),
                        "max_ms": float(times.max()),
                        "cpu_p95_ms": float(np.percentile(cpu_ms, 95)),
                    }
                )
            n_points = len(window.model.people["client"].metrics)
            window.close()
            app.processEvents()
            group_frames = _group_frames(app, history_s, n_frames, rows)
        finally:
            feeder.terminate()
            feeder.join(20)
    worst_label, worst = max(frames.items(), key=lambda kv: np.percentile(kv[1], 95))
    worst_p95 = float(np.percentile(worst, 95))
    group_label, group_worst = max(group_frames.items(), key=lambda kv: np.percentile(kv[1], 95))
    group_p95 = float(np.percentile(group_worst, 95))
    checks = [
        Check(
            f"redraw p95 ≤ {GOAL_P95_MS:g} ms (worst view: {worst_label})",
            worst_p95 <= GOAL_P95_MS,
            f"p95 {worst_p95:.1f} ms",
        ),
        Check(
            f"4 people: redraw p95 ≤ {GOAL_P95_MS:g} ms (worst view: {group_label})",
            group_p95 <= GOAL_P95_MS,
            f"p95 {group_p95:.1f} ms",
        ),
        Check(
            f"viewer CPU ≤ {100 * GOAL_CPU_SHARE:g} % of a core at the default refresh "
            "(full view, all)",
            cpu_full <= GOAL_CPU_SHARE,
            f"{100 * cpu_full:.1f} % (calm view {100 * cpu_calm:.1f} %)",
        ),
        Check(
            "the whole hour was backfilled from the session file and live data kept arriving",
            window.model.now_s >= history_s and live_received > 0 and n_points >= history_s,
            f"{n_backfilled:,} messages backfilled in {backfill_s:.1f} s; "
            f"{live_received} live from the bus; "
            f"{n_points:,} rows per person",
            CORRECTNESS,
        ),
    ]
    notes = [
        f"default timers: poll {DEFAULT_POLL_MS} ms, redraw {DEFAULT_REDRAW_MS} ms; "
        "window 1280x800, "
        f"Qt offscreen platform (software rendering), PySide6 {QtCore.qVersion()}",
        "data: coregulate.ui.synthetic (metrics for both people and HR synchrony every second, "
        "a 30 s contact loss, 60 min of history), 6 plot rows, 4 curves + band lines per person",
        "4 people: coregulate.ui.synthetic_group (60 min; every second 4 metrics, 6 pairs and "
        "the group index), fed to the model directly (no hub); the pair strip and the group rows",
        f"backfill of the hour from the session file: {backfill_s:.1f} s "
        f"({n_backfilled:,} messages)",
    ]
    return Result(
        NAME,
        TITLE,
        COLUMNS,
        rows,
        checks,
        notes,
        {"history_s": history_s, "cpu_s": cpu_s, "n_frames": n_frames, "quick": quick},
    )


def run_group(quick: bool = False) -> Result:
    """Return the 4-person rows alone (no hub, no feeder: about 20 s), with their check."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    rows: list[dict[str, Any]] = []
    n_frames = 60 if quick else 300
    frames = _group_frames(app, 3600.0, n_frames, rows)
    label, worst = max(frames.items(), key=lambda kv: np.percentile(kv[1], 95))
    p95 = float(np.percentile(worst, 95))
    check = Check(
        f"4 people: redraw p95 ≤ {GOAL_P95_MS:g} ms (worst view: {label})",
        p95 <= GOAL_P95_MS,
        f"p95 {p95:.1f} ms",
    )
    return Result(NAME, TITLE + " (4 people only)", COLUMNS, rows, [check], [], {"quick": quick})


if __name__ == "__main__":
    parser = standalone_parser(TITLE)
    parser.add_argument("--group", action="store_true", help="only the 4-person window's rows")
    args = parser.parse_args()
    chosen = run_group if args.group else run
    sys.exit(run_alone(lambda: chosen(args.quick), args.json))
