"""Measure what bridging short gaps costs LF, HF and RSA (docs/metrics.md, "Bridging short gaps").

Usage: ``PYTHONPATH=src:tests python scripts/gap_bridging.py`` (about 2 min). Data:
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
and without the interpolated beats (without: the splines alone across the hole);
last, 5, 6 and 8 s drops with the holes moved by 0, 30, 60, 90 and 120 s, pooled
(five times as many distinct gaps; limits raised so that every drop is bridged).
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


def differences(uncut: tuple, got: dict[int, tuple]) -> tuple[float, np.ndarray]:
    """Return (share available, cut - uncut in ln LF, ln HF, RSA per bridged window)."""
    ref = spectral_series(*uncut, list(got))
    ok = [k for k, v in got.items() if v[3] and np.isfinite(v[1])]
    avail = float(np.mean([np.isfinite(v[1]) for v in got.values()]))
    c = np.array([got[k][:3] for k in ok]).reshape(-1, 3)
    r = np.array([ref[k][:3] for k in ok]).reshape(-1, 3)
    return avail, np.column_stack([np.log(c[:, :2] / r[:, :2]), c[:, 2] - r[:, 2]])


def compare(uncut: tuple, got: dict[int, tuple] | list[dict[int, tuple]]) -> str:
    """Return availability and the ln differences over the windows that bridged."""
    runs = [differences(uncut, g) for g in (got if isinstance(got, list) else [got])]
    avail = np.mean([a for a, _ in runs])
    d = np.vstack([x for _, x in runs])
    if not d.size:
        return f"available {avail:.1%}; none bridged"
    return (
        f"available {avail:.1%}; {len(d)} windows bridged\n"
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
    # The holes at five places of the 150 s cycle: five times the gaps, pooled.
    for gap_s in (5.0, 6.0, 8.0):
        with mock.patch.multiple(gap_bridge, MAX_BRIDGED_GAP_S=10.0, MAX_BRIDGED_SHARE=0.1):
            moved = [spectral_series(*cut(nn, gap_s, offset_s=o)) for o in (0, 30, 60, 90, 120)]
        sys.stdout.write(
            f"gap {gap_s:g} s, holes moved by 0/30/60/90/120 s, pooled, limits raised: "
            f"{compare(uncut, moved)}\n"
        )


if __name__ == "__main__":
    main()
