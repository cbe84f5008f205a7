"""Physiological synchrony between two people, every pair of a group, and the group.

- `grid`: each person's corrected beats (the metrics chain's classifier) on one
  common grid, values at interval midpoints, interpolated (gaps stay gaps).
- `wcc`: windowed cross-correlation with peak picking (Boker et al. 2002; rMEA).
- `surrogates`: segment-shuffling surrogates and effect size (SUSY).
- `concordance`: the slope concordance index (Marci & Orr 2006; SUCO).
- `phase`: Hilbert phase synchrony (NeuroKit2), offline only.
- `track`, `live`, `offline`: one engine, fed live or with a whole session.
- `wcc_shared`: a step's windows of many pairs from each person's parts, once.
- `group`, `group_track`, `group_offline`: 3-6 people: every pair, and the group's
  cluster-phase rho (Richardson et al. 2012) with its chance band and verdict.

Sign convention everywhere: **positive lag = therapist leads** (in a pair (a, b):
b leads). Definitions and defaults: docs/synchrony.md. Synchrony is information,
not a score.
"""

from coregulate.signal.person_beats import CorrectedBeats
from coregulate.signal.synchrony.grid import beat_events, interpolate_on_grid
from coregulate.signal.synchrony.group import GROUP_PARAMS, GroupParams
from coregulate.signal.synchrony.group_offline import group_synchrony, pairs_offline
from coregulate.signal.synchrony.live import LiveSynchrony
from coregulate.signal.synchrony.offline import SynchronyReport, synchrony_offline
from coregulate.signal.synchrony.params import HR_PARAMS, SLOW_PARAMS, SyncParams
from coregulate.signal.synchrony.wcc import wcc_windows

__all__ = [
    "GROUP_PARAMS",
    "HR_PARAMS",
    "SLOW_PARAMS",
    "CorrectedBeats",
    "GroupParams",
    "LiveSynchrony",
    "SyncParams",
    "SynchronyReport",
    "beat_events",
    "group_synchrony",
    "interpolate_on_grid",
    "pairs_offline",
    "synchrony_offline",
    "wcc_windows",
]
