"""The per-person metrics stage: `beat.<role>` in, `metrics.<role>` out."""

from __future__ import annotations

import logging

from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_METRICS, EnvelopeError, Message, topic_for
from coregulate.signal.trailing import TrailingHrv
from coregulate.stages.base import Output

log = logging.getLogger(__name__)


class PersonMetricsStage:
    """Computes each person's trailing HR and RMSSD after every notification's beats."""

    topics = (TOPIC_BEAT + ".",)

    def __init__(
        self, window_s: float = 60.0, hr_window_s: float = 10.0, name: str = "signal"
    ) -> None:
        self.name = name  # a restarted stage takes a new name: its seqs start again at 1
        self.window_s = window_s
        self.hr_window_s = hr_window_s
        self._people: dict[str, TrailingHrv] = {}

    def update(self, msg: Message) -> list[Output]:
        """Return the new `metrics.<role>` for a `beat.<role>` message."""
        role = msg.role
        if role is None:
            return []
        try:
            beats = msg.json()
            t_ns, rr_ms, gap = beats["t_ns"], beats["rr_ms"], bool(beats["gap_before"])
        except (EnvelopeError, KeyError, TypeError) as exc:
            log.warning("ignored a malformed %s message (seq %d): %s", msg.topic, msg.seq, exc)
            return []
        person = self._people.setdefault(role, TrailingHrv(self.window_s, self.hr_window_s))
        metrics = person.update(t_ns, rr_ms, gap)
        return [Output(topic_for(TOPIC_METRICS, role), metrics.to_dict(), metrics.t_ns)]

    def terminate(self) -> list[Output]:
        """Return nothing: every update was already published."""
        return []
