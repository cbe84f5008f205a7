"""The acquisition process: every strap of the session in one asyncio loop.

Sources run concurrently; a strap that stalls or ends never holds up the other.
When told to stop (`coregulate.bus.shutdown`) the sources are cancelled and
everything published is flushed to the hub (acknowledged as committed) before the
process exits, with `EXIT_UNCONFIRMED` if the hub did not confirm it all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import Sequence
from dataclasses import replace

from coregulate.acquisition.publisher import StrapPublisher
from coregulate.acquisition.source import STATUS_GAVE_UP, HeartRateSource, SourceEvent
from coregulate.acquisition.specs import SourceSpec, make_source, prepare
from coregulate.bus.producer import BusProducer
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, StopSignals
from coregulate.clock import SessionClock

log = logging.getLogger(__name__)


class _Resume:
    """Passes a source's events from `from_ns` on; None passes all of them.

    A restarted process's simulated or replayed straps start their recordings from
    the beginning: what lies before the restart was published by the process it
    replaces or was lost with it (never sent twice). Their last status before it
    is passed on at `from_ns`, so the strap's status word is right from the start.
    """

    def __init__(self, from_ns: int | None) -> None:
        self.from_ns = from_ns
        self._status: SourceEvent | None = None

    def admit(self, event: SourceEvent) -> list[SourceEvent]:
        """Return the events to publish for `event` (none while before `from_ns`)."""
        if self.from_ns is None:
            return [event]
        if event.t_ns < self.from_ns:
            if event.status is not None:
                self._status = event
            return []
        out = [] if self._status is None else [replace(self._status, t_ns=self.from_ns)]
        self.from_ns = None
        return [*out, event]


async def run_sources(
    sources: list[HeartRateSource],
    producer: BusProducer,
    clock: SessionClock | None = None,
    resume_from_ns: int | None = None,
) -> None:
    """Publish every source's events until all sources end (or the task is cancelled).

    `resume_from_ns`: this process replaces one that died; publish from then on only.
    """
    publishers = {s.role: StrapPublisher(s.role, producer) for s in sources}

    async def pump_source(source: HeartRateSource) -> None:
        # A fault in one strap's code must not stop the other strap: it ends this
        # strap only, loudly (logged with its traceback and reported on the bus).
        publisher = publishers[source.role]
        resume = _Resume(resume_from_ns)
        failed_events = 0
        try:
            async for event in source.events():
                for admitted in resume.admit(event):
                    try:
                        publisher.handle(admitted)
                    except Exception:
                        failed_events += 1
                        if failed_events == 1:
                            log.exception("%s strap: an event could not be published", source.role)
        except Exception as exc:
            log.exception("%s strap stopped by an internal error", source.role)
            publisher.handle(
                SourceEvent(
                    source.role,
                    producer_time(),
                    status=STATUS_GAVE_UP,
                    detail={"error": f"internal error: {type(exc).__name__}: {exc}"},
                )
            )
        if failed_events:
            log.error("%s strap: %d events could not be published", source.role, failed_events)

    def producer_time() -> int:
        return clock.now_ns() if clock is not None else 0

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
    specs: Sequence[SourceSpec],
    clock_queue: object,
    log_level: int = logging.INFO,
    source: str = "acq",
    resume: bool = False,
) -> None:
    """Entry point of the acquisition process: wait for the clock, stream, flush.

    `specs` says which strap to open for each role (see `acquisition/specs.py`).
    `source` is the bus source name; a restarted process (`resume`) takes a new one
    and publishes only what its straps send from its start on.
    """
    logging.basicConfig(level=log_level, format=f"%(asctime)s {source} %(levelname)s %(message)s")
    stop_signals = StopSignals()  # the parent orders the shutdown
    producer = BusProducer(input_endpoint, source)
    # Simulate before the clock starts, so the first events are not late.
    for spec in specs:
        prepare(spec)
    if any(getattr(spec, "ecg", False) for spec in specs):
        import neurokit2  # noqa: F401 - 1-3 s; never inside the running loop, which stamps beats
    # The parent sends the clock once every subscriber is listening.
    clock: SessionClock = clock_queue.get(timeout=120)  # type: ignore[attr-defined]
    sources: list[HeartRateSource] = [make_source(spec, clock) for spec in specs]
    resume_from_ns = clock.now_ns() if resume else None

    async def main() -> None:
        task = asyncio.ensure_future(run_sources(sources, producer, clock, resume_from_ns))
        loop = asyncio.get_running_loop()
        for sig in stop_signals.signals:
            loop.add_signal_handler(sig, _cancel_if_stop, sig, task)
        with contextlib.suppress(asyncio.CancelledError):
            await task

    def _cancel_if_stop(signum: int, task: asyncio.Future[None]) -> None:
        if stop_signals.means_stop(signum):
            task.cancel()

    try:
        asyncio.run(main())
    finally:
        confirmed = producer.flush(timeout_s=10.0)
        producer.close()
    if not confirmed:
        sys.exit(EXIT_UNCONFIRMED)
