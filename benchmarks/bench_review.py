"""The review tools on a synthetic session: reading the timeline, the report, the history.

A session file of `duration_s` is written directly (no processes): both people's
`metrics.<role>` with arousal index and state once a second, a `sync` message once a
second, 5 markers and 3 ratings, so the file has the volume of a real session's
derived messages. Timed with `time.perf_counter`: `load_session`, `write_report` to
PDF and to PNG, and `client_history` over `n_sessions` copies of the file.

Run alone: ``python benchmarks/bench_review.py`` (with the harness on the path).
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from _harness import Check, Column, Result, format_result
from coregulate.alliance import score
from coregulate.alliance.instruments import ORS, SRS, WAI_SR
from coregulate.alliance.rating import rating_payload
from coregulate.bus.envelope import make_message
from coregulate.recordings.store import SessionStore
from coregulate.review.history import client_history
from coregulate.review.report import write_report
from coregulate.review.session_data import load_session

NAME = "review"
TITLE = "Review: session timeline, one-page report and client history"
NS = 1_000_000_000
GOAL_REPORT_S = 5.0  # a supervisor should not wait longer for a 1-hour session's page


def _write_session(path: Path, duration_s: int) -> int:
    store = SessionStore(path)
    seq: dict[tuple[str, str], int] = {}
    n = 0

    def add(topic: str, payload: object, t_ns: int, src: str) -> None:
        nonlocal n
        key = (src, topic)
        seq[key] = seq.get(key, 0) + 1
        msg = make_message(topic, src, seq[key], t_ns, payload)
        store.add(msg, msg.header_bytes(), n)
        n += 1

    add(
        "session",
        {
            "client_id": "bench",
            "clock": {"wall_anchor_ns": 0, "monotonic_anchor_ns": 0, "speed": 1.0},
        },
        0,
        "session",
    )
    for t in range(1, duration_s + 1):
        for role in ("client", "therapist"):
            arousal = 2.0 if 600 < t < 700 and role == "client" else 0.1
            add(
                f"metrics.{role}",
                {
                    "t_ns": t * NS,
                    "hr_bpm": 70.0 + arousal,
                    "ln_rmssd": 3.5 - arousal / 10,
                    "artifact_share": 0.01,
                    "arousal_index": arousal,
                    "state": "activated" if arousal > 1 else "settled",
                    "unavailable": {},
                },
                t * NS,
                "signal",
            )
            add(
                f"beat.{role}",
                {"t_ns": [t * NS], "rr_ms": [1000.0], "gap_before": False},
                t * NS,
                "acq",
            )
        add(
            "sync",
            {
                "series": "hr_bpm",
                "t_ns": t * NS,
                "final": t == duration_s,
                "window": {
                    "start_ns": (t - 30) * NS,
                    "end_ns": t * NS,
                    "peak_r": 0.3,
                    "peak_lag_s": 1.0,
                },
            },
            t * NS,
            "sync",
        )
        if t % 100 == 0:
            store.commit()
    for k, kind in enumerate(
        ("rupture-withdrawal", "repair", "rupture-confrontation", "repair", "note")
    ):
        t = (k + 1) * duration_s // 6
        add(
            "marker",
            {"id": f"{k:032x}", "kind": kind, "t_ns": t * NS, "text": None},
            t * NS,
            "ui-bench",
        )
    for inst, items, t in (
        (ORS, [5] * 4, 20),
        (SRS, [9] * 4, duration_s - 10),
        (WAI_SR, [4] * 12, duration_s - 5),
    ):
        add("rating", rating_payload(score(inst, items), "client", "end", t * NS), t * NS, "rating")
    store.close()
    return n


def _timed(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run(quick: bool = False) -> Result:
    """Return the review benchmark's result (the harness entry point)."""
    duration_s = 1200 if quick else 3600
    n_sessions = 3 if quick else 10
    repeats = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "s-00.sqlite"
        n_messages = _write_session(path, duration_s)
        for k in range(1, n_sessions):
            shutil.copy(path, folder / f"s-{k:02d}.sqlite")
        paths = sorted(folder.glob("s-*.sqlite"))
        load_s = _timed(lambda: load_session(path), repeats)
        data = load_session(path)
        write_report(data, folder / "warm.png")  # matplotlib's first import and fonts
        pdf_s = _timed(lambda: write_report(data, folder / "r.pdf"), repeats)
        png_s = _timed(lambda: write_report(data, folder / "r.png"), repeats)
        history_s = _timed(lambda: client_history(paths), repeats)
    rows = [
        {
            "what": f"load_session, {duration_s / 60:.0f}-min session ({n_messages} messages)",
            "seconds": load_s,
        },
        {"what": "write_report to PDF (data loaded)", "seconds": pdf_s},
        {"what": "write_report to PNG (data loaded)", "seconds": png_s},
        {"what": f"client_history over {n_sessions} such sessions", "seconds": history_s},
    ]
    total = load_s + pdf_s
    return Result(
        name=NAME,
        title=TITLE,
        columns=[Column("what", "step"), Column("seconds", "best of runs (s)", "{:.3f}")],
        rows=rows,
        checks=[
            Check(
                f"report of a {duration_s / 60:.0f}-min session within "
                f"{GOAL_REPORT_S:g} s (load + PDF)",
                total <= GOAL_REPORT_S,
                f"{total:.2f} s",
            )
        ],
        params={"duration_s": duration_s, "n_sessions": n_sessions, "repeats": repeats},
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = run(args.quick)
    print(json.dumps(result.to_json()) if args.json else format_result(result))
