"""The per-person metrics stage: `beat.<role>` in, `metrics.<role>` out.

Each person gets one :class:`~coregulate.signal.person.PersonSignal` (artifact
correction, HRV, RSA, baseline, state). A `control.baseline` message re-takes a
person's baseline or installs a stored profile (payload in docs/protocol.md).
"""

from __future__ import annotations

import logging
from typing import Any, Final

from coregulate.bus.envelope import TOPIC_BEAT, TOPIC_METRICS, EnvelopeError, Message, topic_for
from coregulate.signal.baseline import BaselineError, BaselineProfile
from coregulate.signal.person import PersonConfig, PersonSignal
from coregulate.stages.base import Output

log = logging.getLogger(__name__)

TOPIC_CONTROL_BASELINE: Final = "control.baseline"


class PersonMetricsStage:
    """Computes each person's metrics after every notification's beats.

    Parameters
    ----------
    config
        Windows, thresholds and baseline length for everyone.
    profiles
        Stored baseline profiles by role; a person with one collects no resting period.
    name
        The bus source name of the outputs.
    """

    topics = (TOPIC_BEAT + ".", TOPIC_CONTROL_BASELINE)
    produces = (TOPIC_METRICS + ".",)

    def __init__(
        self,
        config: PersonConfig | None = None,
        profiles: dict[str, BaselineProfile] | None = None,
        name: str = "signal",
    ) -> None:
        self.name = name  # a restarted stage takes a new name: its seqs start again at 1
        self.config = config or PersonConfig()
        self.profiles = dict(profiles or {})
        self._people: dict[str, PersonSignal] = {}

    def person(self, role: str) -> PersonSignal:
        """Return the role's PersonSignal, created on first use."""
        person = self._people.get(role)
        if person is None:
            person = PersonSignal(self.config, self.profiles.get(role))
            self._people[role] = person
        return person

    def update(self, msg: Message) -> list[Output]:
        """Return the new `metrics.<role>` for a `beat.<role>`; apply a `control.baseline`."""
        if msg.topic == TOPIC_CONTROL_BASELINE:
            self._control(msg)
            return []
        role = msg.role
        if role is None:
            return []
        try:
            beats = msg.json()
            # Converted whole before any beat is used: a bad value refuses the message,
            # never half of it.
            t_ns = [int(t) for t in beats["t_ns"]]
            rr_ms = [float(r) for r in beats["rr_ms"]]
            gap = bool(beats["gap_before"])
            if len(t_ns) != len(rr_ms):
                raise ValueError(f"{len(t_ns)} times for {len(rr_ms)} intervals")
        except (EnvelopeError, KeyError, TypeError, ValueError) as exc:
            log.warning("ignored a malformed %s message (seq %d): %s", msg.topic, msg.seq, exc)
            return []
        metrics = self.person(role).update(t_ns, rr_ms, gap)
        return [Output(topic_for(TOPIC_METRICS, role), metrics.to_dict(), metrics.t_ns)]

    def _control(self, msg: Message) -> None:
        try:
            body: Any = msg.json()
            action, role = body["action"], body.get("role")
            roles = list(self._people) if role is None else [role]
            if action == "retake":
                for r in roles:
                    self.person(r).retake_baseline(body.get("duration_s"))
            elif action == "profile":
                profile = BaselineProfile.from_json(body["profile"])
                for r in roles:
                    self.profiles[r] = profile
                    self.person(r).use_profile(profile)
            else:
                raise ValueError(f"unknown action {action!r} (use 'retake' or 'profile')")
            log.info("baseline %s for %s", action, ", ".join(roles) or "nobody yet")
        except (EnvelopeError, KeyError, TypeError, ValueError, BaselineError) as exc:
            log.warning("ignored a %s message (seq %d): %s", msg.topic, msg.seq, exc)

    def terminate(self) -> list[Output]:
        """Return nothing: every update was already published."""
        return []
