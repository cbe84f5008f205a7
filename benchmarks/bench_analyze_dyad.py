"""`coregulate analyze --client A --therapist B` on a real 1-hour dyad, beside NeuroKit2 alone.

Input: pyhrv's 1-hour NN series (4684 real intervals, tests/data/pyhrv, BSD licence)
imported for both people with ``coregulate import`` (outside the timing). Timed, each
in a fresh interpreter (start-up and imports included):

- ours: ``coregulate analyze --client a.sqlite --therapist b.sqlite --json OUT`` (the
  signal stage at every beat — Lipponen & Tarvainen classification, HR, RMSSD, SDNN,
  LF/HF and RSA every 5 s, baseline and state — then HR and lnRMSSD synchrony with
  SUSY and concordance);
- NeuroKit2 only: one ``signal_fixpeaks(method="kubios")`` pass per person, then for
  every second of the session ``hrv_time`` over the trailing 60 s and
  ``hrv_frequency`` over the trailing 120 s, per person (the windows the live path
  keeps current); no synchrony at all.

Goal (issue 12): ours ≤ 1.0 s and at least 35× faster than NeuroKit2 alone.
Run alone: ``PYTHONPATH=src python benchmarks/bench_analyze_dyad.py [--quick]``;
``--quick`` times NeuroKit2 on the first 10 minutes only and scales the time to the hour.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from _harness import CORRECTNESS, Check, Column, Result, run_alone, standalone_parser, temp_folder

NAME = "analyze_dyad"
TITLE = "Recordings: `coregulate analyze` on a real 1-hour dyad vs NeuroKit2 alone"
GOAL_S = 1.0
GOAL_RATIO = 35.0
NN_FILE = Path(__file__).resolve().parent.parent / "tests/data/pyhrv/SampleNNISeriesLong.npy"
ROLES = ("client", "therapist")


def _fresh(args: list[str]) -> float:
    """Return the wall seconds of ``python ARGS`` in a fresh interpreter."""
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, capture_output=True)
    return time.perf_counter() - start


def neurokit_recompute(nn_ms: np.ndarray, seconds: float) -> int:
    """Recompute per second what the live path keeps current, with NeuroKit2 only.

    Returns the number of windows computed (both people). Imported lazily: this runs
    in its own interpreter so NeuroKit2's import is timed, as ours is.
    """
    import warnings

    import neurokit2 as nk

    warnings.simplefilter("ignore")  # NeuroKit2 warns on short windows; not our concern
    fs = 1000
    peaks = np.concatenate(([0], np.cumsum(nn_ms))).astype(np.int64)  # ms = samples at 1 kHz
    n = 0
    for _role in ROLES:
        _, fixed = nk.signal_fixpeaks(peaks, sampling_rate=fs, method="kubios")
        fixed = np.asarray(fixed, dtype=np.int64)
        t_s = fixed / fs
        for now in np.arange(1.0, min(seconds, t_s[-1]) + 1.0):
            short = fixed[(t_s > now - 60.0) & (t_s <= now)]
            long = fixed[(t_s > now - 120.0) & (t_s <= now)]
            if short.size >= 3:
                nk.hrv_time(short, sampling_rate=fs)
                n += 1
            if long.size >= 10:
                nk.hrv_frequency(long, sampling_rate=fs)
                n += 1
    return n


def _import_pair(folder: Path) -> tuple[Path, Path]:
    """Return the client and therapist session files imported from pyhrv's 1-hour series."""
    rr = folder / "rr.txt"
    rr.write_text("\n".join(str(int(x)) for x in np.load(NN_FILE)) + "\n")
    out = []
    for role in ROLES:
        path = folder / f"{role}.sqlite"
        args = ["-m", "coregulate.cli", "import", str(rr), "--role", role, "--out", str(path)]
        subprocess.run([sys.executable, *args], check=True, capture_output=True)
        out.append(path)
    return out[0], out[1]


def run(quick: bool = False) -> Result:
    """Return both timings, their ratio and the checks."""
    repeats = 1 if quick else 3
    nk_seconds = 600.0 if quick else 3600.0
    with temp_folder() as folder:
        client, therapist = _import_pair(folder)
        out = folder / "summary.json"
        ours = [
            _fresh(
                [
                    "-m",
                    "coregulate.cli",
                    "analyze",
                    "--client",
                    str(client),
                    "--therapist",
                    str(therapist),
                    "--json",
                    str(out),
                ]
            )
            for _ in range(repeats)
        ]
        summary = json.loads(out.read_text())
        nk_s = _fresh([__file__, "--neurokit", str(nk_seconds)])
    hour_s = float(np.sum(np.load(NN_FILE))) / 1000.0
    nk_hour_s = nk_s * (hour_s / nk_seconds if nk_seconds < hour_s else 1.0)
    ours_s = statistics.median(ours)
    ratio = nk_hour_s / ours_s
    rows = [
        {"what": "coregulate analyze (JSON)", "n": repeats, "s": ours_s, "max_s": max(ours)},
        {
            "what": "NeuroKit2 alone, per-second recompute"
            + (f" (first {nk_seconds:g} s, scaled)" if quick else ""),
            "n": 1,
            "s": nk_hour_s,
            "max_s": nk_hour_s,
        },
    ]
    beats = [int((summary.get(r) or {}).get("n_beats") or 0) for r in ROLES]
    checks = [
        Check(f"analyze ≤ {GOAL_S:g} s incl. start-up", ours_s <= GOAL_S, f"median {ours_s:.2f} s"),
        Check(
            f"≥ {GOAL_RATIO:g}× faster than NeuroKit2 alone", ratio >= GOAL_RATIO, f"{ratio:.1f}×"
        ),
        Check(
            "both people analysed with every imported beat",
            beats == [len(np.load(NN_FILE))] * 2
            and summary["synchrony"]["mean_peak_z"] is not None,
            f"n_beats {beats}",
            CORRECTNESS,
        ),
    ]
    return Result(
        name=NAME,
        title=TITLE,
        columns=[
            Column("what", "what"),
            Column("n", "runs"),
            Column("s", "median s", "{:.2f}"),
            Column("max_s", "max s", "{:.2f}"),
        ],
        rows=rows,
        checks=checks,
        notes=[
            f"input: pyhrv SampleNNISeriesLong ({len(np.load(NN_FILE))} intervals, "
            f"{hour_s:.0f} s) for both people",
            "timer: time.perf_counter around a fresh `python` process (imports included)",
            f"speed-up: {ratio:.1f}×",
        ],
        params={"repeats": repeats, "neurokit_seconds": nk_seconds, "quick": quick},
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--neurokit":
        neurokit_recompute(np.load(NN_FILE).astype(float), float(sys.argv[2]))
        sys.exit(0)
    args = standalone_parser(TITLE).parse_args()
    sys.exit(run_alone(lambda: run(args.quick), args.json))
