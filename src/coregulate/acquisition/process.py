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
from coregulate.acquisition.specs import ReplayStrapSpec, SourceSpec, make_source, prepare
from coregulate.bus.producer import BusProducer
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, StopSignals
from coregulate.clock import SessionClock

log = logging.getLogger(__name__)

SILENCE_TICK_S = 1.0  # session seconds between status ticks while no strap gives beats


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
    silence_ticks: bool = True,
    resume_from_ns: int | None = None,
) -> None:
    """Publish every source's events until all sources end (or the task is cancelled).

    With a `clock` and `silence_ticks`, each strap's status is said again while no
    strap gives beats (`_tick_silence`); a replay plays the recorded ticks back instead.
    `resume_from_ns`: this process replaces one that died; publish from then on only.
    """
    publishers = {s.role: StrapPublisher(s.role, producer) for s in sources}
    tasks = [asyncio.create_task(producer.pump_forever())]
    if clock is not None and silence_ticks:
        tasks.append(asyncio.create_task(_tick_silence(publishers, clock)))
    try:
        await asyncio.gather(
            *(_pump_source(s, publishers[s.role], clock, resume_from_ns) for s in sources)
        )
    finally:
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for pub in publishers.values():
            log.info(
                "%s strap: %d notifications, %d beats, %d malformed",
                pub.role,
                pub.notifications,
                pub.beats,
                sum(pub.bad_payloads.values()),
            )


async def _pump_source(
    source: HeartRateSource,
    publisher: StrapPublisher,
    clock: SessionClock | None,
    resume_from_ns: int | None,
) -> None:
    """Publish one strap's events (from `resume_from_ns` on) until it ends.

    A fault in one strap's code must not stop the other strap: it ends this strap
    only, loudly (logged with its traceback and reported on the bus).
    """
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
                clock.now_ns() if clock is not None else 0,
                status=STATUS_GAVE_UP,
                detail={"error": f"internal error: {type(exc).__name__}: {exc}"},
            )
        )
    if failed_events:
        log.error("%s strap: %d events could not be published", source.role, failed_events)


async def _tick_silence(publishers: dict[str, StrapPublisher], clock: SessionClock) -> None:
    """Say every strap's status again each `SILENCE_TICK_S` while no strap gives beats.

    The metrics stage learns that session time passes only from messages (so that a
    replay of them gives the same updates); while both straps are silent no beat
    carries the time, and these ticks do. Decided from the session clock here, at
    the source, and recorded like any strap status, so a replay repeats them exactly.
    """
    step_ns = int(SILENCE_TICK_S * 1e9)
    beats = {role: -1 for role in publishers}
    heard_ns = dict.fromkeys(publishers, clock.now_ns())
    due_ns = clock.now_ns() + step_ns
    while True:
        await asyncio.sleep(max(0.0, clock.host_seconds_until(due_ns)))
        now_ns = clock.now_ns()
        for role, pub in publishers.items():
            if pub.beats != beats[role]:
                beats[role], heard_ns[role] = pub.beats, now_ns
        if all(now_ns - t >= step_ns for t in heard_ns.values()):
            for role, pub in publishers.items():
                silent_s = round((now_ns - heard_ns[role]) / 1e9)
                pub.handle(SourceEvent(role, now_ns, detail={"silent_s": silent_s}))
        due_ns = now_ns + step_ns


def run_acquisition_process(
    input_endpoint: str,
    specs: Sequence[SourceSpec],
    clock_queue: object,
    log_level: int = logging.INFO,
    source: str = "acq",
    resume: bool = False,
    routing_id: bytes | None = None,
) -> None:
    """Entry point of the acquisition process: wait for the clock, stream, flush.

    `specs` says which strap to open for each role (see `acquisition/specs.py`).
    `source` is the bus source name; a restarted process (`resume`) takes a new one
    and publishes only what its straps send from its start on. `routing_id` is the
    producer's identity at the hub, given by the session per source name
    (`coregulate.bus.routing`; None: a random one).
    """
    logging.basicConfig(level=log_level, format=f"%(asctime)s {source} %(levelname)s %(message)s")
    stop_signals = StopSignals()  # the parent orders the shutdown
    producer = BusProducer(input_endpoint, source, routing_id=routing_id)
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
        # A replay plays the recorded silence ticks back: it makes none of its own.
        replay = any(isinstance(spec, ReplayStrapSpec) for spec in specs)
        run = run_sources(sources, producer, clock, not replay, resume_from_ns)
        task = asyncio.ensure_future(run)
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
