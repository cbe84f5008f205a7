"""The acquisition process: every strap of the session in one asyncio loop.

Sources run concurrently; a strap that stalls or ends never holds up the other.
On SIGTERM the sources are cancelled and everything published is flushed to the
hub (acknowledged as committed) before the process exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import dataclass

from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.source import HeartRateSource
from coregulate.bus.producer import BusProducer
from coregulate.clock import SessionClock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SimulationSpec:
    """Which simulated dyad to run: everything the simulator needs, picklable."""

    seed: int
    duration_s: float


@dataclass(frozen=True, slots=True)
class ReplaySpec:
    """Which recording to replay (`coregulate replay`): a session file and a start, picklable."""

    path: str
    from_s: float = 0.0


async def run_sources(sources: list[HeartRateSource], producer: BusProducer) -> None:
    """Publish every source's events until all sources end (or the task is cancelled)."""
    publishers = {s.role: StrapPublisher(s.role, producer) for s in sources}

    async def pump_source(source: HeartRateSource) -> None:
        async for event in source.events():
            publishers[event.role].handle(event)

    pump = asyncio.create_task(producer.pump_forever())
    try:
        await asyncio.gather(*(pump_source(s) for s in sources))
    finally:
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump
        for pub in publishers.values():
            log.info(
                "%s strap: %d notifications, %d beats, %d malformed",
                pub.role,
                pub.notifications,
                pub.beats,
                sum(pub.bad_payloads.values()),
            )


def run_acquisition_process(
    input_endpoint: str,
    spec: SimulationSpec | ReplaySpec,
    clock_queue: object,
    log_level: int = logging.INFO,
) -> None:
    """Entry point of the acquisition process: wait for the clock, stream, flush."""
    logging.basicConfig(level=log_level, format="%(asctime)s acq %(levelname)s %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent orders the shutdown
    producer = BusProducer(input_endpoint, "acq")
    if isinstance(spec, ReplaySpec):
        from coregulate.acquisition.replay_source import ReplayOrder, ReplayStrap

        clock: SessionClock = clock_queue.get(timeout=120)  # type: ignore[attr-defined]
        order = ReplayOrder()  # both straps publish in the recorded order
        sources: list[HeartRateSource] = [
            ReplayStrap(spec.path, role, clock, spec.from_s, order)
            for role in ("client", "therapist")
        ]
    else:
        from coregulate.acquisition.sim_source import SimulatedStrap
        from coregulate.acquisition.simulator import demo_config, simulate_dyad

        # Simulate before the clock starts, so the first events are not late.
        simulation = simulate_dyad(demo_config(seed=spec.seed, duration_s=spec.duration_s))
        # The parent sends the clock once every subscriber is listening.
        clock = clock_queue.get(timeout=120)  # type: ignore[attr-defined]
        sources = [SimulatedStrap(simulation, role, clock) for role in ("client", "therapist")]

    async def main() -> None:
        task = asyncio.ensure_future(run_sources(sources, producer))
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
    finally:
        producer.flush(timeout_s=10.0)
        producer.close()
