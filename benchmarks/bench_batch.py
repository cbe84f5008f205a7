"""`analyze --batch --pseudo-pairs` single process vs local Dask: wall time, scale-out, cost.

Issue 18 asks for 200 one-hour dyads with 20 pseudo pairs each. On the project's
2-core machine (shared) that is about an hour per configuration, so this runs a
smaller batch and extrapolates linearly (per-dyad analysis cost is linear in
session length: docs/performance.md, "Per-person signal"; a pseudo pair's cost is
linear in its length too). Inputs: seeded simulated demo dyads (outside the timing).
Timed, each a fresh ``coregulate analyze`` process (start-up included):

1. ``--jobs 1``: one process, no Dask, no pseudo pairs (the analysis alone);
2. ``--jobs 1 --pseudo-pairs 20``: the same plus the pseudo-pair null (20 per dyad);
3. ``--jobs W --pseudo-pairs 20``: a local Dask cluster of W worker processes.

The outputs of 2 and 3 must be byte-identical (checked).
Run: ``PYTHONPATH=src python benchmarks/bench_batch.py [--dyads 24] [--minutes 10]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from coregulate.recordings.simulated_file import write_simulated_session

PSEUDO_PER_DYAD = 20


def _timed(args: list[str]) -> float:
    start = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "coregulate.cli", *args], capture_output=True)
    if run.returncode != 0:
        raise SystemExit(run.stderr.decode())
    return time.perf_counter() - start


def main() -> None:
    """Time the three runs and print them with the extrapolation to 200 one-hour dyads."""
    p = argparse.ArgumentParser()
    p.add_argument("--dyads", type=int, default=24)  # ≥ 21: 20 strangers each
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--workers", type=int, default=2)
    a = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for seed in range(1, a.dyads + 1):
            write_simulated_session(folder / f"s{seed}.sqlite", seed=seed,
                                    duration_s=a.minutes * 60)  # fmt: skip
        rows = "".join(f"s{seed}.sqlite\n" for seed in range(1, a.dyads + 1))
        (folder / "pairs.csv").write_text("session\n" + rows)
        batch = ["analyze", "--batch", str(folder / "pairs.csv"), "--no-progress"]
        per_dyad = str(PSEUDO_PER_DYAD)  # N is per dyad (issue 18)
        n_pseudo = min(PSEUDO_PER_DYAD, a.dyads - 1) * a.dyads  # pseudo pairs computed
        alone = _timed([*batch, "--jobs", "1", "--json", str(folder / "a.json")])
        single = _timed([*batch, "--jobs", "1", "--pseudo-pairs", per_dyad,
                         "--json", str(folder / "single.json")])  # fmt: skip
        dask = _timed([*batch, "--jobs", str(a.workers), "--pseudo-pairs", per_dyad,
                       "--json", str(folder / "dask.json")])  # fmt: skip
        same = (folder / "single.json").read_bytes() == (folder / "dask.json").read_bytes()
        n_done = json.loads((folder / "dask.json").read_text())[0]["synchrony"]["pseudo_pairs"]
    hours = a.minutes / 60
    per_dyad_h = alone / a.dyads / hours
    per_pseudo_h = (single - alone) / n_pseudo / hours
    out = {
        "dyads": a.dyads,
        "minutes": a.minutes,
        "pseudo_pairs": n_pseudo,
        "pseudo_pairs_used": n_done["pooled_n_pseudo_pairs"],
        "wall_s_single_no_pseudo": round(alone, 2),
        "wall_s_single": round(single, 2),
        f"wall_s_dask_{a.workers}_workers": round(dask, 2),
        "scale_out_ratio": round(single / dask, 2),
        "identical_json": same,
        "per_dyad_hour_s": round(per_dyad_h, 3),
        "per_pseudo_pair_hour_s": round(per_pseudo_h, 4),
        "extrapolated_200x1h_20pp_single_s": round(200 * (per_dyad_h + 20 * per_pseudo_h), 0),
    }
    out["extrapolated_200x1h_20pp_dask_s"] = round(
        out["extrapolated_200x1h_20pp_single_s"] / out["scale_out_ratio"], 0
    )
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
