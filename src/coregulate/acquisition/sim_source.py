"""Simulated straps as a `HeartRateSource`: the simulator's events, paced by the clock.

Each notification is stamped with the *simulated* arrival time rather than the
moment the event loop woke up: the simulator already models arrival jitter, and
this keeps a seeded session identical from run to run whatever the machine's
load or the `--speed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

from coregulate.acquisition.simulator import DyadSimulation, StrapEvent
from coregulate.acquisition.source import (
    KIND_ECG,
    STATUS_CONNECTING,
    STATUS_DISCONNECTED,
    STATUS_ENDED,
    STATUS_STREAMING,
    SourceEvent,
)
from coregulate.clock import SessionClock

KIND_ACC_FRAME = "acc frame"  # a StrapEvent kind: one raw PMD ACC frame (acquisition/_sim_acc.py)


class SimulatedStrap:
    """One role's strap from a precomputed dyad simulation, in session time."""

    def __init__(
        self,
        simulation: DyadSimulation,
        role: str,
        clock: SessionClock,
        acc: bool | tuple[Any, Sequence[StrapEvent]] | None = None,
    ) -> None:
        self.role = role
        self.name = f"simulated {role} strap"
        self._events: list[StrapEvent] = [e for e in simulation.events if e.role == role]
        self._clock = clock
        self._end_ns = int(simulation.config.duration_s * 1e9)
        # With `acc`: the accelerometer's frames and their ground truth (breathing at
        # the person's simulated rate, a gesture and a posture change).
        # `acc` True: made here; a tuple: (scenario, events) made before the clock started
        # (acquisition/specs.py). Imported here only: scipy would slow every start.
        self.acc_scenario = None
        if acc is True:
            from coregulate.acquisition._sim_acc import merge_acc_frames, scenario_for

            scenario = scenario_for(simulation.config, role)
            acc = (scenario, merge_acc_frames(self._events, scenario, role))
        if acc:
            self.acc_scenario, events = acc
            self._events = list(events)

    async def _until(self, t_ns: int) -> None:
        delay_s = self._clock.host_seconds_until(t_ns)
        if delay_s > 0:
            await asyncio.sleep(delay_s)

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield status and notification events at their session times."""
        yield SourceEvent(self.role, 0, status=STATUS_CONNECTING, detail={"name": self.name})
        streaming = False
        for ev in self._events:
            await self._until(ev.arrival_ns)
            if ev.kind == "notification":
                if not streaming:
                    yield SourceEvent(self.role, ev.arrival_ns, status=STATUS_STREAMING)
                    streaming = True
                yield SourceEvent(self.role, ev.arrival_ns, data=ev.data)
            elif ev.kind == KIND_ACC_FRAME:  # only with `acc`
                if streaming:  # the strap sends ACC only while connected
                    yield SourceEvent(self.role, ev.arrival_ns, data=ev.data, kind=KIND_ECG)
            elif ev.kind == "disconnected":
                streaming = False
                yield SourceEvent(self.role, ev.arrival_ns, status=STATUS_DISCONNECTED)
            elif ev.kind == "connected":
                yield SourceEvent(self.role, ev.arrival_ns, status=STATUS_CONNECTING)
        await self._until(self._end_ns)
        yield SourceEvent(self.role, self._end_ns, status=STATUS_ENDED)
