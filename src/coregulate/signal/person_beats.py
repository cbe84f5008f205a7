"""The beats one person's windows are made of: final classes, provisional for the newest.

Each accepted beat is classified twice, causally: finally by the 45-beat look-ahead
classifier (NeuroKit2's centred windows, :data:`~coregulate.signal.artifacts.LOOKAHEAD_BEATS`),
and provisionally by the same tree with the two beats it needs
(:data:`~coregulate.signal.artifacts.PROVISIONAL_LOOKAHEAD_BEATS`). Windows end at the
newest provisionally classified beat, so live metrics trail the newest beat by two
beats, not 45; when a beat's final class arrives it replaces the provisional one in
place. The final class is the one decision other consumers see (the payload's
``beats``, the synchrony grid, offline summaries). Both are functions of the beats
received so far, so a replay gives the same windows bit for bit.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from coregulate.signal.artifacts import (
    LOOKAHEAD_BEATS,
    PROVISIONAL_LOOKAHEAD_BEATS,
    CausalArtifactClassifier,
)
from coregulate.signal.ring import Ring

Classified = list[tuple[int, float, int]]


class ClassifiedBeats:
    """A ring of classified beats (t, nn, seg, kind), the newest ones provisional.

    Parameters
    ----------
    capacity
        Beats the windows need; the ring keeps the provisional beats on top.
    """

    def __init__(self, capacity: int) -> None:
        dtypes = {"t": np.int64, "nn": np.float64, "seg": np.int64, "kind": np.int8}
        self.ring = Ring(capacity + LOOKAHEAD_BEATS, dtypes)
        self._final = CausalArtifactClassifier()
        self._fast = CausalArtifactClassifier(lookahead=PROVISIONAL_LOOKAHEAD_BEATS)
        self._segments: deque[int] = deque()  # accepted beats not provisionally classified
        self._provisional = 0  # newest rows of the ring without their final class

    def add(self, t_ns: int, rr_ms: float, segment: int, gap_before: bool) -> Classified:
        """Add one accepted beat; return the beats that got their final class by it."""
        provisional: Classified = []
        final: Classified = []
        if gap_before:
            provisional += self._fast.flush()
            final += self._final.flush()
        self._segments.append(segment)
        provisional += self._fast.update(t_ns, rr_ms, False)
        final += self._final.update(t_ns, rr_ms, False)
        self._store(provisional, final)
        return final

    def _store(self, provisional: Classified, final: Classified) -> None:
        # Both classifiers give every beat exactly once, in order, and the final one
        # never before the provisional one: the final beat is the oldest provisional row.
        for t, nn, kind in provisional:
            self.ring.append(t=t, nn=nn, seg=self._segments.popleft(), kind=kind)
        self._provisional += len(provisional)
        for t, nn, kind in final:
            if self._provisional == 0 or self.ring.row("t", self._provisional) != t:
                raise RuntimeError(f"final class for beat {t} without its provisional row")
            self.ring.overwrite(self._provisional, nn=nn, kind=kind)
            self._provisional -= 1
