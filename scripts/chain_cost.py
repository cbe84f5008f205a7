"""CPU cost of one person's hour through the metrics chain, and of one 240 s spectrum and RSA.

Input: pyhrv's real 1-hour NN series (tests/data/pyhrv/SampleNNISeriesLong.npy).
Prints, as medians of `--repeats` runs of CPU time (``time.process_time``, so that
other work on a shared machine counts less than in wall time):

- ``chain``: ``metrics_at_every_beat`` over the hour (every beat its own update,
  LF/HF and RSA every 5 s), and a digest of every payload: two versions of the code
  that give the same digest gave the same numbers, bit for bit;
- ``rsa`` and ``lfhf``: ``rsa_ln_ms2`` and ``band_powers_ms2`` per trailing 240 s
  window, one window every 5 s of the hour.

To compare two versions, run it alternately with each one's sources first on the
path (docs/performance.md, "Issue 13's cost won back")::

    PYTHONPATH=OLD/src python scripts/chain_cost.py
    PYTHONPATH=src python scripts/chain_cost.py
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import logging
import statistics
import time
from pathlib import Path

import numpy as np

from coregulate.signal.hrv import band_powers_ms2
from coregulate.signal.person import metrics_at_every_beat
from coregulate.signal.rsa import rsa_ln_ms2

log = logging.getLogger("chain_cost")
NN_FILE = Path(__file__).resolve().parent.parent / "tests/data/pyhrv/SampleNNISeriesLong.npy"


def chain_cpu_s(t_ns: np.ndarray, nn_ms: np.ndarray) -> tuple[float, str]:
    """Return (CPU seconds of the hour through the chain, digest of every payload)."""
    gc.disable()  # as analyze does (recordings/forked.py): its passes free nothing here
    try:
        start = time.process_time()
        metrics = metrics_at_every_beat(t_ns, nn_ms)
        cpu = time.process_time() - start
    finally:
        gc.enable()
    text = json.dumps([m.to_dict() for m in metrics], sort_keys=True)
    return cpu, hashlib.sha256(text.encode()).hexdigest()[:16]


def window_cpu_ms(t_s: np.ndarray, nn_ms: np.ndarray) -> tuple[float, float]:
    """Return CPU ms per trailing 240 s window (one every 5 s) of RSA and of LF/HF."""
    windows = []
    for end in np.arange(240.0, t_s[-1], 5.0):
        sel = (t_s > end - 240.0) & (t_s <= end)
        windows.append((t_s[sel] - t_s[sel][0], nn_ms[sel]))
    start = time.process_time()
    for t, nn in windows:
        rsa_ln_ms2(t, nn)
    rsa_ms = (time.process_time() - start) / len(windows) * 1e3
    start = time.process_time()
    for t, nn in windows:
        band_powers_ms2(t, nn)
    return rsa_ms, (time.process_time() - start) / len(windows) * 1e3


def main() -> None:
    """Print the medians of the chain's and the windows' CPU time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    nn = np.load(NN_FILE).astype(float)
    t_ns = (np.cumsum(nn) * 1e6).astype(np.int64)
    chains = [chain_cpu_s(t_ns, nn) for _ in range(args.repeats)]
    windows = [window_cpu_ms(t_ns / 1e9, nn) for _ in range(args.repeats)]
    log.info(
        "chain %.3f s  digest %s  rsa %.3f ms  lfhf %.3f ms  (CPU, median of %d)",
        statistics.median(c for c, _ in chains),
        chains[0][1],
        statistics.median(r for r, _ in windows),
        statistics.median(b for _, b in windows),
        args.repeats,
    )


if __name__ == "__main__":
    main()
