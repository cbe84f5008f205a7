"""The per-person metrics stage: `beat.<role>` in, `metrics.<role>` out.

Each person gets one :class:`~coregulate.signal.person.PersonSignal` (artifact
correction, HRV, RSA, baseline, state). A `control.baseline` message re-takes a
person's baseline or installs a stored profile (payload in docs/protocol.md).

"No signal" is a fact on the bus: when no beat of a person has come for
`PersonConfig.no_signal_s`, the stage publishes a metrics update for them with
no values and no state (`PersonSignal.silence`), and again every `no_signal_s`
while it lasts. The stage learns that time has passed only from the messages it
receives (the other person's beats, the person's own beats when they return, or
a strap's status), never from a clock of its own: replaying the same messages
gives the same updates. While both people are silent the acquisition process says
each strap's status again every second of session time (`silent_s`, decided from
the session clock there and recorded, `acquisition.process._tick_silence`), so
"no signal" comes on time then too, and a replay of the file repeats it.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from coregulate.bus.envelope import (
    TOPIC_BEAT,
    TOPIC_BREATH,
    TOPIC_METRICS,
    TOPIC_STATUS,
    EnvelopeError,
    Message,
    topic_for,
)
from coregulate.signal.baseline import BaselineError, BaselineProfile
from coregulate.signal.breathing_live import apply_breathing
from coregulate.signal.dyad import ROLES, beat_time_plausible
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
    people
        The keys of the session's people (the dyad's by default); anyone else's
        messages are ignored.
    """

    # The people's strap statuses too: their times are session time passing.
    topics = (
        TOPIC_BEAT + ".",
        TOPIC_CONTROL_BASELINE,
        *(topic_for(TOPIC_STATUS, role) for role in ROLES),
        TOPIC_BREATH + ".",  # movement marks the state (signal/breathing_live.py)
    )
    produces = (TOPIC_METRICS + ".",)

    def __init__(
        self,
        config: PersonConfig | None = None,
        profiles: dict[str, BaselineProfile] | None = None,
        name: str = "signal",
        people: tuple[str, ...] = ROLES,
    ) -> None:
        self.name = name  # a restarted stage takes a new name: its seqs start again at 1
        self.people = tuple(people)
        if self.people != ROLES:  # every person's strap status (the class lists the dyad's)
            statuses = tuple(topic_for(TOPIC_STATUS, key) for key in self.people)
            self.topics = (TOPIC_BEAT + ".", TOPIC_CONTROL_BASELINE, *statuses, TOPIC_BREATH + ".")
        self.config = config or PersonConfig()
        self.profiles = dict(profiles or {})
        self._people: dict[str, PersonSignal] = {}
        self._now_ns: int | None = None  # the newest beat message's time: what the stage knows
        self._breath: dict[str, dict[str, Any]] = {}  # role -> latest breathing update

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
        if role not in self.people:  # only the session's people: an invented one costs nothing
            return []
        if msg.topic.startswith(TOPIC_STATUS):
            return self._status_time(msg.t_ns)
        if msg.topic.startswith(TOPIC_BREATH):
            self._take_breath(role, msg)
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
            for t in (*t_ns, msg.t_ns):
                if not beat_time_plausible(t, self._now_ns):
                    raise ValueError(f"a beat at {t} ns is far from the session's time")
        except (EnvelopeError, KeyError, TypeError, ValueError, OverflowError) as exc:
            log.warning("ignored a malformed %s message (seq %d): %s", msg.topic, msg.seq, exc)
            return []
        person = self.person(role)
        # This person's own silence up to their first new beat, then their update,
        # then everyone else's silence up to this message's time.
        out = self._silences(role, person, t_ns[0] - 1) if t_ns else []
        metrics = person.update(t_ns, rr_ms, gap)
        payload = apply_breathing(metrics.to_dict(), self._breath.get(role))
        out.append(Output(topic_for(TOPIC_METRICS, role), payload, metrics.t_ns))
        return out + self._advance(msg.t_ns, role)

    def _take_breath(self, role: str, msg: Message) -> None:
        """Keep a person's latest breathing update (a malformed one is logged and ignored)."""
        try:
            body = msg.json()
            update = {
                "t_ns": int(body["t_ns"]),
                "moving": bool(body["moving"]),
                # None from ECG-derived breathing (signal/edr_live.py): no movement known.
                "movement_mg": None if body["movement_mg"] is None else float(body["movement_mg"]),
                "flags": {str(k): str(v) for k, v in dict(body["flags"]).items()},
            }
        except (EnvelopeError, KeyError, TypeError, ValueError) as exc:
            log.warning("ignored a malformed %s message (seq %d): %s", msg.topic, msg.seq, exc)
            return
        self._breath[role] = update

    def observe(self, t_ns: int) -> list[Output]:
        """Return the "no signal" updates due by `t_ns`, the time of someone else's beats.

        On the bus the stage sees every person's beats and calls this itself; the
        offline pipeline runs one person's chain apart from the other's and hands it
        the other person's beat messages only as time passing (`StageSpec.per_role`).
        """
        return self._advance(t_ns, None)

    def _status_time(self, t_ns: int) -> list[Output]:
        """Return the "no signal" updates due by a strap status's time (time passing)."""
        if not beat_time_plausible(t_ns, self._now_ns):
            log.warning("ignored a strap status at %d ns, far from the session's time", t_ns)
            return []
        return self._advance(t_ns, None)

    def _advance(self, t_ns: int, sender: str | None) -> list[Output]:
        """Return everyone's silences (but the sender's) up to the newest time seen."""
        self._now_ns = t_ns if self._now_ns is None else max(self._now_ns, t_ns)
        out = []
        for other, someone in self._people.items():
            if other != sender:
                out += self._silences(other, someone, self._now_ns)
        return out

    @staticmethod
    def _silences(role: str, person: PersonSignal, now_ns: int) -> list[Output]:
        topic = topic_for(TOPIC_METRICS, role)
        return [Output(topic, m.to_dict(), m.t_ns) for m in person.silence(now_ns)]

    def _control(self, msg: Message) -> None:
        try:
            body: Any = msg.json()
            action, role = body["action"], body.get("role")
            if role is not None and role not in self.people:
                raise ValueError(f"{role!r} is not one of the session's people {self.people}")
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
