"""Dyadic physiological synchrony between client and therapist (pure computation).

- `grid`: each person's corrected beats (the metrics chain's classifier) on one
  common grid, values at interval midpoints, interpolated (gaps stay gaps).
- `wcc`: windowed cross-correlation with peak picking (Boker et al. 2002; rMEA).
- `surrogates`: segment-shuffling surrogates and effect size (SUSY).
- `concordance`: the slope concordance index (Marci & Orr 2006; SUCO).
- `phase`: Hilbert phase synchrony (NeuroKit2), offline only.
- `track`, `live`, `offline`: one engine, fed live or with a whole session.

Sign convention everywhere: **positive lag = therapist leads**. Definitions and
defaults: docs/synchrony.md. Synchrony is information, not a score.
"""

from coregulate.signal.synchrony.grid import CorrectedBeats, beat_events, interpolate_on_grid
from coregulate.signal.synchrony.live import LiveSynchrony
from coregulate.signal.synchrony.offline import SynchronyReport, synchrony_offline
from coregulate.signal.synchrony.params import HR_PARAMS, SLOW_PARAMS, SyncParams
from coregulate.signal.synchrony.wcc import wcc_windows

__all__ = [
    "HR_PARAMS",
    "SLOW_PARAMS",
    "CorrectedBeats",
    "LiveSynchrony",
    "SyncParams",
    "SynchronyReport",
    "beat_events",
    "interpolate_on_grid",
    "synchrony_offline",
    "wcc_windows",
]
