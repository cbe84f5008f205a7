"""pylsl, loaded once per process with this session's scope, and the LSL clock mapping.

Lab Streaming Layer (LSL) is unencrypted and announces every stream by multicast.
So unless the user asks for the lab network (`--lsl-lab`), every process that uses
LSL first hands liblsl a generated configuration (`lsl_config_text`) that keeps
discovery on this computer: ``ResolveScope = machine`` (queries go to 127.0.0.1
only, with TTL 0) and the multicast responder bound to 127.0.0.1. liblsl has no
setting that binds an outlet's service (UDP) and data (TCP) ports to loopback:
nothing announces them, but a peer that names this host could reach them;
docs/lsl.md says what a firewall adds.

Time: liblsl's `local_clock()` is the host's monotonic clock in seconds (C++
``steady_clock``), as the session clock is (`coregulate.clock`). `ClockMap` holds
the measured offset between the two and converts both ways; the LSL bridge records
it in the session file (`lsl.clock`, docs/lsl.md).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, Final

log = logging.getLogger(__name__)

MISSING_PYLSL: Final = (
    "LSL needs the pylsl package, which is not installed: pip install 'coregulate[lsl]'"
)

# What the generated configuration sets (liblsl's lsl_api.cfg format). IPv6 is off so
# that no second stack joins site-wide IPv6 groups; the tuning keeps resolves short.
_MACHINE_CONFIG: Final = """\
[ports]
IPv6 = disable
[multicast]
ResolveScope = machine
ListenAddress = 127.0.0.1
[lab]
KnownPeers = {}
[log]
level = -3
"""

_loaded: dict[str, Any] = {}


class LslUnavailable(RuntimeError):
    """pylsl (or its bundled liblsl) cannot be used here; the text is one line for the user."""


def lsl_config_text(lab: bool) -> str | None:
    """Return the liblsl configuration this session generates, None for `--lsl-lab`.

    With `lab`, liblsl reads the lab's own ``lsl_api.cfg`` (or its defaults: site scope).
    """
    return None if lab else _MACHINE_CONFIG


def load_pylsl(lab: bool = False) -> ModuleType:
    """Return the pylsl module, configured for machine scope (or the lab network) once.

    liblsl reads its configuration at its first use in a process, so the first call
    here decides the scope for this process; a later call asking for the other scope
    is refused rather than silently ignored.

    Raises
    ------
    LslUnavailable
        If pylsl is not installed or its liblsl cannot be loaded, or the scope was
        already set the other way in this process.
    """
    if "pylsl" in _loaded:
        if _loaded["lab"] != lab:
            raise LslUnavailable("LSL was already set up for the other scope in this process")
        return _loaded["pylsl"]
    try:
        import pylsl
    except ImportError:
        raise LslUnavailable(MISSING_PYLSL) from None
    except (RuntimeError, OSError) as exc:  # pylsl found, but not its shared library
        raise LslUnavailable(f"pylsl could not load liblsl ({exc})") from None
    text = lsl_config_text(lab)
    if text is not None:
        pylsl.set_config_content(text)
    _loaded.update(pylsl=pylsl, lab=lab)
    return pylsl


@dataclass(frozen=True, slots=True)
class ClockMap:
    """Session clock ↔ LSL clock (`pylsl.local_clock()`, seconds).

    ``lsl_s = (monotonic_anchor_ns + t_ns / speed) / 1e9 + lsl_minus_monotonic_s``:
    a session time is mapped to the host moment it stands for (a replay at speed 30
    maps 30 session seconds to one host second), then onto liblsl's clock.

    Attributes
    ----------
    monotonic_anchor_ns, speed
        The session clock's (`SessionClock`).
    lsl_minus_monotonic_s
        `local_clock()` minus ``time.monotonic()``, measured (0 on Linux, where both
        read CLOCK_MONOTONIC).
    uncertainty_s
        Half the shortest bracket of the measurement.
    """

    monotonic_anchor_ns: int
    speed: float
    lsl_minus_monotonic_s: float
    uncertainty_s: float

    @classmethod
    def measure(
        cls, monotonic_anchor_ns: int, speed: float, local_clock: Any, tries: int = 50
    ) -> ClockMap:
        """Return the mapping, `local_clock` read between two monotonic reads `tries` times."""
        best: tuple[int, float] | None = None
        for _ in range(tries):
            t0 = time.monotonic_ns()
            lsl_s = local_clock()
            t1 = time.monotonic_ns()
            if best is None or t1 - t0 < best[0]:
                best = (t1 - t0, lsl_s - (t0 + t1) / 2e9)
        assert best is not None
        return cls(monotonic_anchor_ns, float(speed), best[1], best[0] / 2e9)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ClockMap:
        """Return the mapping recorded as `body` (an ``lsl.clock`` payload, `to_dict`)."""
        return cls(
            int(body["monotonic_anchor_ns"]),
            float(body["speed"]),
            float(body["lsl_minus_monotonic_s"]),
            float(body["uncertainty_s"]),
        )

    def lsl_s(self, t_ns: int | float) -> float:
        """Return the LSL time of session time `t_ns`."""
        return (self.monotonic_anchor_ns + t_ns / self.speed) / 1e9 + self.lsl_minus_monotonic_s

    def session_ns(self, lsl_s: float) -> int:
        """Return the session time of LSL time `lsl_s` (rounded to the ns)."""
        host_ns = (lsl_s - self.lsl_minus_monotonic_s) * 1e9 - self.monotonic_anchor_ns
        return round(host_ns * self.speed)

    def to_dict(self) -> dict[str, Any]:
        """Return the mapping as JSON-ready fields, with LSL time of session time 0."""
        return {**asdict(self), "lsl_s_at_session_zero": self.lsl_s(0)}


@dataclass(frozen=True, slots=True)
class LslOptions:
    """What a session does with LSL (picklable: it goes to the LSL bridge process).

    Attributes
    ----------
    out
        Publish the session's beats, HR, metrics, synchrony and markers (`--lsl`).
    lab
        Use the lab network (liblsl's own configuration) instead of this computer only.
    markers_from
        Record the markers of the LSL ``Markers`` stream of this name (`--lsl-markers`).
    resolve_timeout_s
        How long one search for an LSL stream waits.
    wait_for_consumers_s
        Before the session clock starts, wait up to this long until every outlet has
        a consumer (LabRecorder recording them), so the recording holds the first beat.
    """

    out: bool = True
    lab: bool = False
    markers_from: str | None = None
    resolve_timeout_s: float = 1.0
    wait_for_consumers_s: float = 0.0

    def to_meta(self) -> dict[str, Any]:
        """Return the options as recorded in the session's metadata."""
        return {
            "out": self.out,
            "scope": "lab network" if self.lab else "this computer",
            "markers_from": self.markers_from,
        }
