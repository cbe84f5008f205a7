"""`coregulate analyze` on a 1-hour dyad, end to end including start-up (goal: <= 5 s).

The 1-hour session file is made first (simulated straps through the live parsing
and beat timing, `recordings/simulated_file.py`), outside the timing. Then the
command is run as a user runs it, in a fresh interpreter, three times; the median
wall time is reported, with and without the PNG report.

Run: ``PYTHONPATH=src python benchmarks/bench_analyze.py``
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coregulate.recordings.simulated_file import write_simulated_session

REPEATS = 3


def _time(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "coregulate.cli", *args],
        check=True,
        capture_output=True,
        env=os.environ.copy(),
    )
    return time.perf_counter() - start


def run() -> dict[str, float]:
    """Return median seconds of `coregulate analyze` (JSON only, and JSON + PNG report)."""
    with tempfile.TemporaryDirectory() as tmp:
        session = write_simulated_session(Path(tmp) / "hour.sqlite", seed=1, duration_s=3600)
        out = Path(tmp) / "a.json"
        json_only = [_time(["analyze", str(session), "--json", str(out)]) for _ in range(REPEATS)]
        report = [
            _time(
                ["analyze", str(session), "--json", str(out), "--report", str(Path(tmp) / "r.png")]
            )
            for _ in range(REPEATS)
        ]
    return {
        "analyze_1h_json_s": statistics.median(json_only),
        "analyze_1h_json_and_report_s": statistics.median(report),
    }


def main() -> None:
    """Print the results."""
    for name, value in run().items():
        print(f"{name}: {value:.2f} s (goal <= 5 s; median of {REPEATS})")


if __name__ == "__main__":
    main()
