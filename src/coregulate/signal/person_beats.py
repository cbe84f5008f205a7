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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from coregulate.signal.artifacts import (
    LOOKAHEAD_BEATS,
    PROVISIONAL_LOOKAHEAD_BEATS,
    CausalArtifactClassifier,
    implausible_reason,
)
from coregulate.signal.ring import Ring

Classified = list[tuple[int, float, int]]


@dataclass(frozen=True)
class Decision:
    """One raw beat's fate: rejected (with the reason), or accepted and what it classified.

    `new_run` is True when the beat starts a new run (beats were lost or rejected
    before it); `final` holds the beats (t_ns, nn_ms, kind) whose final class this
    beat completed, oldest first (the flushed run's beats, then the look-ahead's).
    """

    t_ns: int
    rr_ms: float
    reason: str | None
    new_run: bool = False
    final: Classified = field(default_factory=list)


class CorrectedBeats:
    """One person's raw beats in, each accepted beat's final class out: the one decision.

    The metrics chain (`signal.person.PersonSignal`, through `ClassifiedBeats`) and
    the synchrony grid (`signal.synchrony.live`) both take their beats from here, so
    every beat gets one artifact decision in the program. The rule: an implausible
    interval (`artifacts.implausible_reason`) enters nothing and ends the run; a
    `gap_before` (first beat of a notification) or an implausible interval before a
    beat flushes the classifier's run; each accepted beat gets its final class 45
    beats later (`artifacts.LOOKAHEAD_BEATS`).
    """

    def __init__(self) -> None:
        self._classifier = CausalArtifactClassifier()
        self._last_raw_ns: int | None = None
        self._gap_pending = False
        self.pending = 0  # accepted beats not classified yet (at most the look-ahead)

    def decide(
        self, t_ns: Sequence[int], rr_ms: Sequence[float], gap_before: bool
    ) -> Iterator[Decision]:
        """Yield the decision on each beat of one notification, in order (consume them all)."""
        for i, (t_raw, rr_raw) in enumerate(zip(t_ns, rr_ms, strict=True)):
            t, rr = int(t_raw), float(rr_raw)
            reason = implausible_reason(t, rr, self._last_raw_ns)
            if reason is not None:
                self._gap_pending = True
                yield Decision(t, rr, reason)
                continue
            new_run = ((gap_before and i == 0) or self._gap_pending) and (
                self._last_raw_ns is not None
            )
            self._gap_pending = False
            final = self._classifier.flush() if new_run else []
            final += self._classifier.update(t, rr, False)
            self._last_raw_ns = t
            self.pending += 1 - len(final)
            yield Decision(t, rr, None, new_run, final)

    def update(self, t_ns: Sequence[int], rr_ms: Sequence[float], gap_before: bool) -> Classified:
        """Add one notification's beats; return the beats classified by them (t, nn_ms, kind)."""
        return [beat for d in self.decide(t_ns, rr_ms, gap_before) for beat in d.final]

    def flush(self) -> Classified:
        """Return the last beats of the session, not yet classified, as normal."""
        out = self._classifier.flush()
        self.pending -= len(out)
        return out


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
        self.decisions = CorrectedBeats()  # the final classes: the program's one decision
        self._fast = CausalArtifactClassifier(lookahead=PROVISIONAL_LOOKAHEAD_BEATS)
        self._segments: deque[int] = deque()  # accepted beats not provisionally classified
        self._provisional = 0  # newest rows of the ring without their final class

    def add(self, decision: Decision, segment: int) -> Classified:
        """Add one accepted beat (a `CorrectedBeats` decision); return its final classes."""
        provisional: Classified = self._fast.flush() if decision.new_run else []
        self._segments.append(segment)
        provisional += self._fast.update(decision.t_ns, decision.rr_ms, False)
        final = list(decision.final)
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
