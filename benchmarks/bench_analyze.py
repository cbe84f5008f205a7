"""`coregulate analyze` on a 1-hour dyad, end to end including start-up (goal: <= 5 s).

The 1-hour session file is made first (simulated straps through the live parsing
and beat timing, `recordings/simulated_file.py`), outside the timing. Then the
command is run as a user runs it, in a fresh interpreter, three times (once with
``--quick``); the median wall time is reported, with and without the PNG report.
The JSON it writes is checked against the simulation's ground truth.

Run alone: ``PYTHONPATH=src python benchmarks/bench_analyze.py [--quick] [--json OUT]``.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from _harness import CORRECTNESS, Check, Column, Result, run_alone, standalone_parser, temp_folder
from coregulate.acquisition.simulator import demo_config, simulate_dyad
from coregulate.recordings.simulated_file import write_simulated_session

NAME = "analyze"
TITLE = "Recordings: `coregulate analyze` on a 1-hour dyad, end to end"
GOAL_S = 5.0
DURATION_S = 3600.0
SEED = 1
HR_TOLERANCE_BPM = 2.0
ROLES = ("client", "therapist")


def _time_command(args: list[str]) -> float:
    """Return the wall seconds of ``coregulate ARGS`` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "coregulate.cli", *args],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return time.perf_counter() - start


def _truth_hr_bpm() -> dict[str, float]:
    """Return each person's simulated mean HR over the beats the strap delivered."""
    sim = simulate_dyad(demo_config(seed=SEED, duration_s=DURATION_S))
    out = {}
    for role in ROLES:
        truth = sim.truth[role]
        out[role] = float(np.mean(60_000.0 / truth.rr_ms[truth.delivered]))
    return out


def _summary_checks(summary: dict[str, Any], report: Path) -> tuple[bool, str]:
    """Return whether the JSON summary and the report are what the command promises."""
    truth = _truth_hr_bpm()
    problems, parts = [], []
    for role in ROLES:
        person = summary.get(role) or {}
        missing = [k for k in ("mean_hr_bpm", "rmssd_ms", "artifact_share") if k not in person]
        if missing:
            problems.append(f"{role}: no {', '.join(missing)}")
            continue
        diff = person["mean_hr_bpm"] - truth[role]
        parts.append(f"{role} mean HR {person['mean_hr_bpm']:.1f} (simulated {truth[role]:.1f})")
        if abs(diff) > HR_TOLERANCE_BPM:
            problems.append(f"{role} mean HR off by {diff:+.1f} bpm")
    sync = summary.get("synchrony") or {}
    keys = ("peak_lag_s", "mean_peak_z", "surrogate_es", "n_surrogates")
    if any(sync.get(k) is None for k in keys):
        problems.append(f"synchrony lacks {[k for k in keys if sync.get(k) is None]}")
    else:
        parts.append(f"synchrony ES {sync['surrogate_es']:.2f}, {sync['n_surrogates']} pairs")
    if not report.is_file() or report.stat().st_size == 0:
        problems.append("no PNG report written")
    return not problems, "; ".join(problems or parts)


def run(quick: bool = False) -> Result:
    """Return the analyze benchmark's result (`quick`: one run per variant, not three)."""
    repeats = 1 if quick else 3
    with temp_folder() as folder:
        t0 = time.perf_counter()
        session = write_simulated_session(folder / "hour.sqlite", seed=SEED, duration_s=DURATION_S)
        make_s = time.perf_counter() - t0
        out, png = folder / "a.json", folder / "r.png"
        base = ["analyze", str(session), "--json", str(out)]
        json_only = [_time_command(base) for _ in range(repeats)]
        with_report = [_time_command([*base, "--report", str(png)]) for _ in range(repeats)]
        ok, detail = _summary_checks(json.loads(out.read_text()), png)
    rows = [
        {
            "what": "JSON summary",
            "n": repeats,
            "median_s": statistics.median(json_only),
            "max_s": max(json_only),
        },
        {
            "what": "JSON + one-page PNG report",
            "n": repeats,
            "median_s": statistics.median(with_report),
            "max_s": max(with_report),
        },
    ]
    checks = [
        Check(
            f"1-hour dyad end to end incl. start-up ≤ {GOAL_S:g} s ({row['what']})",
            row["median_s"] <= GOAL_S,
            f"median {row['median_s']:.2f} s of {repeats}",
        )
        for row in rows
    ]
    checks.append(
        Check(
            f"summary per person and synchrony; mean HR within {HR_TOLERANCE_BPM:g} bpm of "
            "the simulation; report written",
            ok,
            detail,
            CORRECTNESS,
        )
    )
    return Result(
        name=NAME,
        title=TITLE,
        columns=[
            Column("what", "output"),
            Column("n", "runs"),
            Column("median_s", "median s", "{:.2f}"),
            Column("max_s", "max s", "{:.2f}"),
        ],
        rows=rows,
        checks=checks,
        notes=[
            f"session: write_simulated_session(seed={SEED}, duration_s={DURATION_S:g}), "
            f"made in {make_s:.1f} s before the timing",
            "timer: time.perf_counter around `python -m coregulate.cli analyze ...` "
            "(interpreter start-up and imports included)",
        ],
        params={"duration_s": DURATION_S, "seed": SEED, "repeats": repeats, "quick": quick},
    )


if __name__ == "__main__":
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
