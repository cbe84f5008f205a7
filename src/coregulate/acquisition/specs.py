"""What strap to open for each role: small picklable specs, and the factory that opens them.

The session process decides *which* straps a session uses and hands the list of
specs to the acquisition process (specs cross the process boundary, so they are
plain frozen dataclasses). There, :func:`make_source` turns each into a
`HeartRateSource`. bleak is imported only when a BLE spec is opened, so a demo
with simulated straps never loads it.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coregulate.clock import SessionClock
from coregulate.signal.dyad import ROLES

if TYPE_CHECKING:
    from coregulate.acquisition.simulator import DyadSimulation
    from coregulate.acquisition.source import HeartRateSource


@dataclass(frozen=True, slots=True)
class SimulatedStrapSpec:
    """One role's strap from the seeded demo dyad (`demo_config(seed, duration_s)`).

    `people`: the keys of the session's people, whose demo group is simulated
    (`_sim_group.demo_group_for`; the dyad's keys: the demo dyad, as always).
    """

    role: str
    seed: int = 1
    duration_s: float = 600.0
    acc: bool = False  # also an accelerometer (acquisition/_sim_acc.py), like `monitor --acc`
    people: tuple[str, ...] = ROLES


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """How a BLE strap is found, watched and brought back; all times in host seconds.

    Attributes
    ----------
    initial_backoff_s, max_backoff_s, backoff_factor
        Wait before the n-th retry: ``min(max, initial * factor**(n-1))``...
    jitter
        ...times a uniform factor in ``[1 - jitter, 1 + jitter]``, so two straps that
        dropped together do not retry in lockstep.
    max_attempts
        Give up after this many failed attempts in a row (``None``: never give up).
    scan_timeout_s
        How long one search for the strap's advertisements lasts.
    connect_timeout_s
        How long one connection attempt (connect + service discovery) may take.
    silence_s
        A connected strap that sends nothing for this long is treated as dropped.
    battery_interval_s
        How often the battery level (0x2A19) is read while streaming.
    """

    initial_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    backoff_factor: float = 2.0
    jitter: float = 0.25
    max_attempts: int | None = None
    scan_timeout_s: float = 10.0
    connect_timeout_s: float = 20.0
    silence_s: float = 10.0
    battery_interval_s: float = 60.0

    def backoff_s(self, attempt: int, uniform: float) -> float:
        """Return the wait before retry `attempt` (1, 2, ...) given `uniform` in [0, 1)."""
        base = min(
            self.max_backoff_s, self.initial_backoff_s * self.backoff_factor ** (attempt - 1)
        )
        return max(0.0, base * (1.0 + self.jitter * (2.0 * uniform - 1.0)))


@dataclass(frozen=True, slots=True)
class BleStrapSpec:
    """A real strap over BLE, found by address (``AA:BB:...`` or a macOS UUID) or by name.

    Attributes
    ----------
    role
        The person's key: ``client``, ``therapist``, ``partner``, ... (signal/people.py).
    device
        The strap's address, or its advertised name (exact, then case-insensitive
        prefix: ``Polar H10 A1B2C3D4`` or ``Polar H10``).
    ecg
        Also stream Polar PMD ECG (130 Hz) when the strap offers it.
    acc
        Also stream the Polar PMD accelerometer (200 Hz, ±8 g) for breathing and
        movement; refused or dropped, ECG and beats go on without it.
    policy
        Reconnection and watchdog timing.
    backend
        ``"module:attribute"`` naming a `bleak_backends()`-like callable that returns
        ``(scanner_backend, client_backend)`` classes for bleak's ``backend=``; None
        for the platform's own Bluetooth stack. Tests use it for emulated straps.
    """

    role: str
    device: str
    ecg: bool = False
    acc: bool = False
    policy: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    backend: str | None = None


@dataclass(frozen=True, slots=True)
class ReplayStrapSpec:
    """One role's strap replayed from a recorded session file (`coregulate replay`)."""

    role: str
    path: str
    from_s: float = 0.0


@dataclass(frozen=True, slots=True)
class LslStrapSpec:
    """One role's heartbeat from the LSL stream called `stream` (type RR or ECG; docs/lsl.md).

    `lab`: find it on the lab network (liblsl's own configuration) instead of on this
    computer only; `resolve_timeout_s`: how long one search waits.
    """

    role: str
    stream: str
    lab: bool = False
    resolve_timeout_s: float = 1.0


SourceSpec = SimulatedStrapSpec | BleStrapSpec | ReplayStrapSpec | LslStrapSpec


@functools.lru_cache(maxsize=2)
def _simulation(seed: int, duration_s: float, people: tuple[str, ...] = ROLES) -> DyadSimulation:
    from coregulate.acquisition.simulator import (
        demo_config,
        demo_group_for,
        simulate_dyad,
        simulate_group,
    )

    if people == ROLES:
        return simulate_dyad(demo_config(seed=seed, duration_s=duration_s))
    return simulate_group(demo_group_for(people, seed=seed, duration_s=duration_s))


def _acc_scenario(seed: int, duration_s: float, role: str, people: tuple[str, ...] = ROLES) -> Any:
    """Return a simulated strap's ACC ground truth; its frames are made while the session runs."""
    from coregulate.acquisition._sim_acc import scenario_for

    return scenario_for(_simulation(seed, duration_s, people).config, role)


def prepare(spec: SourceSpec) -> None:
    """Do the slow part of opening `spec` before the session clock starts (simulation)."""
    if getattr(spec, "acc", False):  # scipy's import, never inside the running loop
        import scipy.signal  # noqa: F401 - signal/breathing.py imports it lazily

        import coregulate.signal.breathing_live  # noqa: F401
    if isinstance(spec, SimulatedStrapSpec):
        _simulation(spec.seed, spec.duration_s, spec.people)
        if spec.acc:  # the gestures' shake; the frames are made while the session runs
            from coregulate.acquisition._sim_acc import movement_shake

            movement_shake(_acc_scenario(spec.seed, spec.duration_s, spec.role, spec.people))
    elif isinstance(spec, LslStrapSpec):
        import neurokit2  # noqa: F401 - 1-3 s, for an ECG stream; never inside the running loop

        from coregulate.acquisition.lsl import LslUnavailable, load_pylsl

        with contextlib.suppress(LslUnavailable):  # the source reports it on the bus
            load_pylsl(spec.lab)


def make_source(spec: SourceSpec, clock: SessionClock, **kwargs: Any) -> HeartRateSource:
    """Return the `HeartRateSource` that `spec` describes, stamping on `clock`.

    Extra keyword arguments go to the BLE source (tests pass ``backends=``).

    Raises
    ------
    TypeError
        If `spec` is not a known spec type.
    """
    if isinstance(spec, SimulatedStrapSpec):
        from coregulate.acquisition.sim_source import SimulatedStrap

        sim = _simulation(spec.seed, spec.duration_s, spec.people)
        acc = (
            _acc_scenario(spec.seed, spec.duration_s, spec.role, spec.people) if spec.acc else None
        )
        return SimulatedStrap(sim, spec.role, clock, acc=acc)
    if isinstance(spec, BleStrapSpec):
        from coregulate.acquisition.ble_source import BleStrap

        return BleStrap(spec, clock, **kwargs)
    if isinstance(spec, ReplayStrapSpec):
        from coregulate.acquisition.replay_source import ReplayStrap, shared_order

        order = shared_order(spec.path, spec.from_s)  # both roles publish in recorded order
        return ReplayStrap(spec.path, spec.role, clock, spec.from_s, order)
    if isinstance(spec, LslStrapSpec):
        from coregulate.acquisition.lsl_source import LslStrap

        return LslStrap(spec, clock)
    raise TypeError(f"not a source spec: {spec!r}")
