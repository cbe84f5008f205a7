"""Measure what bridging short gaps costs LF, HF and RSA (docs/metrics.md, "Bridging short gaps").

Usage: ``PYTHONPATH=src:tests python scripts/gap_bridging.py`` (about 40 s). Data:
pyhrv's real 1-hour NN series (tests/data/pyhrv, BSD licence).

A Polar H10 on Linux/BlueZ drops every 150 s (issue 20). Here the beats ending in
``[150 k, 150 k + g)`` s are cut out (k = 1, 2, ...; g = 3, 5, 6 and 8 s), the
first beat after each hole starts a new run, and the live spectral step
(``person_steps.Spectral``, the code the session runs) computes LF, HF and RSA at
windows ending every >= 5 s. The same window end on the uncut series is the
reference. Printed per gap length, over the windows that bridged a gap: the share
of windows available, and the difference cut - uncut in ln LF, ln HF and RSA
(ln ms²): median (bias), 5th and 95th percentile and the largest; for scale, the
uncut series' own change between consecutive 5 s updates; and, to show what the
limits buy, the same with them raised to 10 s a gap and 10 % of the window, with
and without the interpolated beats (without: the splines alone across the hole).
"""

from __future__ import annotations

import sys
from unittest import mock

import numpy as np

from coregulate.signal import gap_bridge, person_steps
from signal_support import PERIOD_S, cut, pyhrv_nn, spectral_series


def _pct(d: np.ndarray) -> str:
    q5, q50, q95 = np.percentile(d, [5, 50, 95])
    return f"{q50:+.3f} [{q5:+.3f}, {q95:+.3f}] max {np.max(np.abs(d)):.3f}"


def compare(uncut: tuple, got: dict[int, tuple]) -> str:
    """Return one line: availability and the ln differences over windows that bridged."""
    ref = spectral_series(*uncut, list(got))
    bridged = [k for k, v in got.items() if v[3]]
    ok = [k for k in bridged if np.isfinite(got[k][1])]
    avail = np.mean([np.isfinite(v[1]) for v in got.values()])
    if not ok:
        return f"available {avail:.1%} of {len(got)} windows; none bridged"
    d = np.array([[got[k][i] - ref[k][i] for i in range(3)] for k in ok])
    d[:, :2] = np.log(np.array([[got[k][i] for i in range(2)] for k in ok])) - np.log(
        np.array([[ref[k][i] for i in range(2)] for k in ok])
    )
    return (
        f"available {avail:.1%} of {len(got)} windows; {len(ok)} bridged\n"
        f"    ln LF {_pct(d[:, 0])}\n    ln HF {_pct(d[:, 1])}\n    RSA   {_pct(d[:, 2])}"
    )


def main() -> None:
    """Print the table of docs/metrics.md, "Bridging short gaps"."""
    nn = pyhrv_nn("Long").astype(float)
    t_ns, nn_u, seg = cut(nn, 0.0)
    uncut = (t_ns, nn_u, seg)
    ref = spectral_series(*uncut)
    v = np.array([ref[k][:3] for k in sorted(ref)])
    step = np.abs(np.diff(np.column_stack([np.log(v[:, :2]), v[:, 2]]), axis=0))
    p50, p95 = np.percentile(step, [50, 95], axis=0)
    sys.stdout.write(
        "uncut, |change| between consecutive 5 s updates, median / 95th pct: "
        f"ln LF {p50[0]:.3f}/{p95[0]:.3f}, ln HF {p50[1]:.3f}/{p95[1]:.3f}, "
        f"RSA {p50[2]:.3f}/{p95[2]:.3f}\n"
    )
    for gap_s in (3.0, 5.0, 6.0, 8.0):
        got = spectral_series(*cut(nn, gap_s))
        sys.stdout.write(f"gap {gap_s:g} s every {PERIOD_S:g} s: {compare(uncut, got)}\n")
        # The same with the limits raised (10 s a gap, 10 % of the window): what
        # bridging longer gaps would cost; and with the splines alone across the hole.
        with mock.patch.multiple(gap_bridge, MAX_BRIDGED_GAP_S=10.0, MAX_BRIDGED_SHARE=0.1):
            wide = spectral_series(*cut(nn, gap_s))
            sys.stdout.write(f"  limits raised: {compare(uncut, wide)}\n")
            with mock.patch.object(person_steps, "fill_gaps", lambda t, x, _gaps: (t, x)):
                bare = spectral_series(*cut(nn, gap_s))
        sys.stdout.write(f"  limits raised, no interpolated beats: {compare(uncut, bare)}\n")


if __name__ == "__main__":
    main()
