"""The LSL benchmark: added latency from a beat to its LSL sample (`--lsl`, docs/lsl.md).

A simulated session runs in real time (speed 1) with `--lsl`; a pylsl inlet per
person (this computer only) is opened before the clock starts, as LabRecorder
would be, and stamps each RR sample with `local_clock()` the moment it receives it.
For every beat the latency is measured from the arrival of the strap notification
that carried it (the moment coregulate knew the beat; session clock, mapped onto
the LSL clock with the session's recorded `lsl.clock`) to that receipt, and split
at the hub's receipt of the beat message (`hub_ns` in the session file):

- notification → inlet: everything coregulate adds (acquisition, hub, LSL bridge,
  liblsl's TCP hop);
- hub → inlet: the bridge and liblsl alone.

Run alone: ``python benchmarks/bench_lsl.py`` (with the harness on the path).
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from _harness import (
    CORRECTNESS,
    GOAL,
    Check,
    Result,
    latency_columns,
    latency_row,
    run_alone,
    standalone_parser,
    temp_folder,
)
from coregulate.acquisition.lsl import ClockMap, LslOptions, load_pylsl
from coregulate.recordings.lsl_streams import stream_defs
from coregulate.session import DemoOptions, Session

NAME = "lsl"
TITLE = "LSL out: added latency from a beat to its LSL sample"
GOAL_P99_MS = 50.0  # well inside one beat (≥ 300 ms): a lab's event-locked analysis is unaffected
COLUMNS = latency_columns("span", "beats")


def _open_others(pylsl: Any, held: list[Any]) -> None:
    """Open an inlet on every other outlet (LabRecorder records them all; the session waits)."""
    for d in stream_defs():
        if not d.name.endswith("-rr"):
            inlet = pylsl.StreamInlet(pylsl.resolve_byprop("name", d.name, 1, 30.0)[0])
            inlet.open_stream(timeout=10.0)
            held.append(inlet)


def _read(pylsl: Any, name: str, got: list[tuple[float, float, float]], stop: Any) -> None:
    """Open an inlet on `name`, then record (value, LSL stamp, receipt) until its outlet closes."""
    info = pylsl.resolve_byprop("name", name, 1, 30.0)[0]
    inlet = pylsl.StreamInlet(info, recover=False)
    inlet.open_stream(timeout=10.0)
    while not stop.is_set():
        try:
            sample, stamp = inlet.pull_sample(timeout=0.2)
        except Exception:  # pylsl.util.LostError: the session closed its outlets
            return
        if stamp is not None:
            got.append((sample[0], stamp, pylsl.local_clock()))


def _known_at(out: Path, role: str) -> list[tuple[float, int, int]]:
    """Return (rr_ms, notification arrival t_ns, hub receipt ns) for each beat of `role`."""
    db = sqlite3.connect(out)
    rows = db.execute(
        "SELECT topic, t_ns, hub_ns, payload FROM messages WHERE topic IN (?, ?) ORDER BY rowid",
        (f"hrm.{role}", f"beat.{role}"),
    ).fetchall()
    db.close()
    beats, arrival_ns = [], 0
    for topic, t_ns, hub_ns, payload in rows:
        if topic.startswith("hrm."):
            arrival_ns = t_ns
        else:
            beats += [(rr, arrival_ns, hub_ns) for rr in json.loads(payload)["rr_ms"]]
    return beats


def run_benchmark(duration_s: float) -> Result:
    """Run a `duration_s` real-time demo with --lsl and measure every beat's latency."""
    pylsl = load_pylsl(lab=False)
    got: dict[str, list[tuple[float, float, float]]] = {"client": [], "therapist": []}
    stop = threading.Event()
    held: list[Any] = []
    readers = [
        threading.Thread(target=_read, args=(pylsl, f"coregulate-{r}-rr", got[r], stop))
        for r in got
    ] + [threading.Thread(target=_open_others, args=(pylsl, held))]
    with temp_folder() as folder:
        out = folder / "s.sqlite"
        options = DemoOptions(
            out=out, duration_s=duration_s, seed=2, lsl=LslOptions(wait_for_consumers_s=60)
        )
        for t in readers:
            t.start()
        with Session(options) as session:
            session.start()
            while not session.finished():
                time.sleep(0.1)
        stop.set()
        for t in readers:
            t.join(10)
        (clock_row,) = sqlite3.connect(out).execute(
            "SELECT payload FROM messages WHERE topic = 'lsl.clock'"
        )
        clock = ClockMap.from_dict(json.loads(clock_row[0]))
        total_ms, hub_ms, mismatched = [], [], 0
        for role, samples in got.items():
            beats = _known_at(out, role)
            mismatched += abs(len(beats) - len(samples))
            for (rr, arrival_ns, hub_ns), (value, _, receipt) in zip(beats, samples, strict=False):
                mismatched += rr != value
                total_ms.append((receipt - clock.lsl_s(arrival_ns)) * 1e3)
                hub_lsl_s = hub_ns / 1e9 + clock.lsl_minus_monotonic_s
                hub_ms.append((receipt - hub_lsl_s) * 1e3)
    rows = [
        latency_row("notification arrival → LSL inlet", np.asarray(total_ms)),
        latency_row("hub receipt → LSL inlet", np.asarray(hub_ms)),
    ]
    checks = [
        Check(
            f"beat → LSL sample p99 ≤ {GOAL_P99_MS:g} ms",
            rows[0]["p99_ms"] is not None and rows[0]["p99_ms"] <= GOAL_P99_MS,
            f"median {rows[0]['p50_ms']:.2f} ms, p99 {rows[0]['p99_ms']:.2f} ms",
            GOAL,
        ),
        Check(
            "every recorded beat reached the inlet, same value",
            mismatched == 0 and len(total_ms) > 0,
            f"{len(total_ms)} beats, {mismatched} missing or different",
            CORRECTNESS,
        ),
    ]
    return Result(
        name=NAME,
        title=TITLE,
        columns=COLUMNS,
        rows=rows,
        checks=checks,
        notes=[
            f"demo session (seed 2) of {duration_s:g} s at speed 1, both people, machine scope",
            "receipt: pylsl local_clock() right after pull_sample returns in the reader thread",
        ],
        params={"duration_s": duration_s, "liblsl": pylsl.library_version()},
    )


def run(quick: bool = False) -> Result:
    """Run the benchmark (`quick`: 20 s of session instead of 120 s)."""
    return run_benchmark(20.0 if quick else 120.0)


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
