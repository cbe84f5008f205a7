"""What a session was asked for (`DemoOptions`) and how it can fail (`SessionError`).

Kept apart from `coregulate.session` (the wiring of the processes), which
re-exports every name here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from coregulate.acquisition.lsl import LslOptions
from coregulate.acquisition.specs import SimulatedStrapSpec, SourceSpec
from coregulate.bus.endpoints import Endpoints
from coregulate.security.access import ViewerAccess
from coregulate.signal.people import Person, default_people, keys_of


class SessionError(Exception):
    """A session could not start or end cleanly; the text says what to do."""


@dataclass
class DemoOptions:
    """Everything a session was asked for (`coregulate demo` or `monitor`).

    With no `sources`, the session runs the seeded simulated dyad (`seed`,
    `duration_s`): that is `coregulate demo`. Otherwise `sources` lists one spec per
    role (simulated or BLE straps) and `mode` and the ids describe the session.
    `people` (2-6, signal/people.py) makes it a group session; empty: the dyad of
    `client_id` and `therapist_id`, recorded exactly as before.
    """

    out: Path
    duration_s: float = 5400.0
    speed: float = 1.0
    seed: int = 1
    log_level: int = logging.WARNING
    endpoints: Endpoints = field(default_factory=Endpoints.loopback)
    sources: tuple[SourceSpec, ...] = ()
    mode: str = "demo (simulated straps)"
    # Pseudonymous ids: recorded in the session file only, never in paths or logs.
    client_id: str = "sim-client"
    therapist_id: str = "sim-therapist"
    stop_after_s: float | None = None  # end the session at this session time (real straps)
    baseline: bool = True  # a resting baseline at the start (off: states need a profile)
    meta: dict[str, Any] = field(default_factory=dict)  # more session metadata (replay_of, ...)
    # Remote viewers over CurveZMQ (docs/security.md); None: nothing leaves this machine.
    viewers: ViewerAccess | None = None
    hub_status_interval_s: float = 1.0  # how often the hub publishes `status.hub`
    lsl: LslOptions | None = None  # Lab Streaming Layer out and/or markers in (docs/lsl.md)
    # How often each process may be restarted before the session ends (loudly) instead.
    max_restarts: int = 5
    people: tuple[Person, ...] = ()  # the session's people; () = the dyad (ROLES)

    def session_people(self) -> tuple[Person, ...]:
        """Return the session's people in session order (the dyad unless `people` is set).

        The client's and the therapist's ids are `client_id` and `therapist_id` in any
        session (what the start dialog and `--client-id` set).
        """
        if not self.people:
            return default_people(self.client_id, self.therapist_id)
        ids = {"client": self.client_id, "therapist": self.therapist_id}
        return tuple(replace(p, id=ids.get(p.key, p.id)) for p in self.people)

    def people_keys(self) -> tuple[str, ...]:
        """Return the keys of the session's people (`dyad.ROLES` for the dyad)."""
        return keys_of(self.session_people())

    def simulated_only(self) -> bool:
        """Return whether every strap of the session is simulated (the session's length known)."""
        return all(isinstance(s, SimulatedStrapSpec) for s in self.source_specs())

    def source_specs(self) -> tuple[SourceSpec, ...]:
        """Return the strap spec of every person, the simulated dyad (or group) by default."""
        if self.sources:
            return self.sources
        keys = self.people_keys()
        return tuple(
            SimulatedStrapSpec(key, self.seed, self.duration_s, people=keys) for key in keys
        )


SessionOptions = DemoOptions


class SessionLost(SessionError):
    """A process died and could not be restarted: the session ended early, loudly.

    `lost_after` is the session time (H:MM:SS) after which nothing was recorded;
    `unconfirmed` the processes whose last messages before it never reached the
    file (set when the session has stopped), for the summary to name.
    """

    def __init__(self, text: str, lost_after: str | None = None) -> None:
        super().__init__(text)
        self.lost_after = lost_after
        self.unconfirmed: list[str] = []


class UnconfirmedAtStop(SessionError):
    """The session ended, but the hub did not confirm some processes' last messages."""

    def __init__(self, names: list[str], out: Path) -> None:
        self.names = list(names)
        super().__init__(
            f"the hub did not confirm the last messages of: {', '.join(names)} (how many: "
            f"the 'not confirmed' lines above); they are missing from the end of {out}, "
            "which is otherwise complete and readable"
        )
