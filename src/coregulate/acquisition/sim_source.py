"""Simulated straps as a `HeartRateSource`: the simulator's events, paced by the clock.

Each notification is stamped with the *simulated* arrival time rather than the
moment the event loop woke up: the simulator already models arrival jitter, and
this keeps a seeded session identical from run to run whatever the machine's
load or the `--speed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from coregulate.acquisition._sim_acc import AccScenario

KIND_ACC_FRAME = "acc frame"  # a StrapEvent kind: one raw PMD ACC frame (acquisition/_sim_acc.py)


class SimulatedStrap:
    """One role's strap from a precomputed dyad simulation, in session time."""

    def __init__(
        self,
        simulation: DyadSimulation,
        role: str,
        clock: SessionClock,
        acc: bool | AccScenario | None = None,
    ) -> None:
        self.role = role
        self.name = f"simulated {role} strap"
        self._events: list[StrapEvent] = [e for e in simulation.events if e.role == role]
        self._clock = clock
        self._end_ns = int(simulation.config.duration_s * 1e9)
        # With `acc` (True, or an `AccScenario` made before the clock started,
        # acquisition/specs.py): the accelerometer's frames and their ground truth
        # (breathing at the person's simulated rate, a gesture and a posture change).
        # The frames are made while the session runs, interleaved with the heart's
        # notifications, as a real strap measures them: made up front, a long session's
        # ACC held the first strap back and then streamed in a burst (late breathing).
        # Imported here only: scipy would slow every start.
        self.acc_scenario = None
        self._merge: Any = None
        if acc:
            from coregulate.acquisition._sim_acc import merge_acc_frames, scenario_for

            self.acc_scenario = scenario_for(simulation.config, role) if acc is True else acc
            self._merge = merge_acc_frames

    async def _until(self, t_ns: int) -> None:
        # Behind the clock (a slow start, a busy machine at --speed 100) the strap still
        # lets the other straps' events through between its own, as a host receives two
        # straps interleaved: catching up alone, the first strap's backlog reached the
        # sync stage a minute of session time ahead of the second's, whose values were late.
        await asyncio.sleep(max(0.0, self._clock.host_seconds_until(t_ns)))

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield status and notification events at their session times."""
        yield SourceEvent(self.role, 0, status=STATUS_CONNECTING, detail={"name": self.name})
        streaming = False
        timeline: Iterable[StrapEvent] = self._events
        if self._merge is not None:
            timeline = self._merge(self._events, self.acc_scenario, self.role)
        for ev in timeline:
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
