"""Runs a `Stage` as a bus process: subscribe, update, publish, flush when told to stop.

Readiness: PUB/SUB drops what is published before a subscription has reached the
hub (the slow joiner). So the runner publishes a `status.<name>` hello and waits
until it sees it come back through the hub: from then on its subscription is live
and the parent may start the producers. What the stage missed before (it was
restarted) or misses later (the hub restarted) it takes from the hub's replay of
the file (`coregulate.stages.stage_input`).
"""

from __future__ import annotations

import gc
import importlib
import logging
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from coregulate.bus.envelope import Message
from coregulate.bus.producer import BusProducer
from coregulate.bus.replay import ReplayClient, ReplayUnavailable
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, StopSignals
from coregulate.bus.subscriber import BusSubscriber
from coregulate.stages.base import Output, Stage
from coregulate.stages.stage_input import StageInput, hello_topic

log = logging.getLogger(__name__)

# How long an orphaned stage's input must be quiet before it ends (see `_run_live`),
# and how long it waits for the hub's answers after that.
ORPHAN_QUIET_S = 1.0
ORPHAN_HUB_WAIT_S = 3.0


def _update_safely(stage: Stage, msg: Message, failures: Counter[str]) -> list[Output]:
    """Return the stage's outputs for `msg`; a stage bug on one message is logged, not fatal.

    Stages validate their input themselves; this is the net under them, so that one
    message no stage foresaw cannot end a live session's metrics. The first failure
    per topic is logged with its traceback, later ones are counted.
    """
    try:
        return stage.update(msg)
    except Exception:
        failures[msg.topic] += 1
        if failures[msg.topic] == 1:
            log.exception(
                "%s stage failed on %s seq %d; skipped it (later failures are counted)",
                stage.name,
                msg.topic,
                msg.seq,
            )
        return []


def run_stage(
    stage: Stage,
    input_endpoint: str,
    output_endpoint: str,
    stop: Any,
    ready: Any,
    incarnation: int = 0,
    orphaned: Callable[[], bool] | None = None,
    routing_id: bytes | None = None,
) -> bool:
    """Run `stage` on the bus until `stop()` is true, then catch up, drain and flush.

    The stage takes its input through `StageInput`: first everything the hub already
    recorded (a restarted stage recomputes its earlier outputs, which the hub already
    has and ignores), then the live stream, with a catch-up whenever something was
    missed. `incarnation` counts restarts (0 for the first process). `orphaned()`
    true: the session's main process died and every process stops at once, so the
    stage waits longer for its upstream's last messages. `routing_id`: the stage's
    identity at the hub, the same for every incarnation (`coregulate.bus.routing`),
    so the hub lets a restarted stage go on with its streams.

    Return True if the hub confirmed everything the stage sent (False is logged).
    """
    producer = BusProducer(input_endpoint, stage.name, routing_id=routing_id)
    hello = hello_topic(stage.name, incarnation)
    subscriber = BusSubscriber(output_endpoint, (*stage.topics, hello))
    replay = ReplayClient(input_endpoint)
    feed = StageInput(tuple(stage.topics), producer, subscriber, replay, hello)
    failures: Counter[str] = Counter()

    def take(messages: Iterable[Message]) -> None:
        for i, msg in enumerate(messages):
            for out in _update_safely(stage, msg, failures):
                producer.send(out.topic, out.payload, out.t_ns)
            if i % 256 == 255:  # a long catch-up still sends and reads acks
                producer.pump()

    try:
        if not feed.subscribe():
            log.error("%s stage could not reach the hub at %s", stage.name, output_endpoint)
            return False
        if ready is not None:
            ready.set()  # subscribed: what the stage must catch up on is in the file
        take(feed.catch_up())
        _run_live(feed, producer, stop, take, orphaned or (lambda: False))
        _final_catch_up(feed, replay, take, orphaned)
        for out in stage.terminate():
            producer.send(out.topic, out.payload, out.t_ns)
        if feed.replayed:
            log.info("%s stage took %d messages from the hub's file", stage.name, feed.replayed)
    except ReplayUnavailable as exc:
        log.error("%s stage: %s; its outputs may miss input", stage.name, exc)
    finally:
        confirmed = producer.flush(timeout_s=10.0)
        feed.close()
        replay.close()
        producer.close()
        subscriber.close()
    return confirmed


def _final_catch_up(
    feed: StageInput,
    replay: ReplayClient,
    take: Callable[[Iterable[Message]], None],
    orphaned: Callable[[], bool] | None,
) -> None:
    """Take what the stage missed at the very end, if anything.

    An orphan does not wait long for the hub: nobody restarts a hub that is gone.
    """
    if orphaned is not None and orphaned():
        replay.timeout_s = ORPHAN_HUB_WAIT_S
        take(feed.catch_up(ORPHAN_HUB_WAIT_S))
    else:
        take(feed.catch_up())


def _run_live(
    feed: StageInput,
    producer: BusProducer,
    stop: Any,
    take: Callable[[Iterable[Message]], None],
    orphaned: Callable[[], bool],
) -> None:
    """Process the live stream until `stop()` and a quiet input (the hub's last sends).

    Quiet is 0.3 s when the session stops in order (upstream already flushed),
    `ORPHAN_QUIET_S` when everyone stops at once (upstream may still be flushing).
    """
    quiet_since: float | None = None
    while True:
        messages = list(feed.next(timeout_ms=20))
        producer.pump()
        if messages:
            quiet_since = None
            take(messages)
        elif stop():
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since > (ORPHAN_QUIET_S if orphaned() else 0.3):
                return


def _preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # the stage says so itself when it needs it
            log.debug("could not preload %s: %s", name, exc)


def run_stage_process(
    stage: str,
    input_endpoint: str,
    output_endpoint: str,
    ready: Any,
    log_level: int = logging.INFO,
    source: str | None = None,
    options: dict[str, Any] | None = None,
    incarnation: int = 0,
    routing_id: bytes | None = None,
) -> None:
    """Entry point of a stage process: run the registered stage `stage` until told to stop.

    The arguments pickle (the process is spawned): the stage's name in
    `coregulate.stages.registry.STAGES`, its bus `source` name (default the stage's
    name; a restarted stage keeps it and its `routing_id`, `incarnation` counts
    restarts) and its `options`. The parent orders the shutdown (`coregulate.bus.shutdown`). Exits
    with `EXIT_UNCONFIRMED` if the hub did not confirm everything the stage sent.
    """
    from coregulate.stages.registry import stage_spec

    stop_signals = StopSignals()
    source = source or stage
    # Logging first, so what building the stage reports (a bad profile) reads the same.
    logging.basicConfig(level=log_level, format=f"%(asctime)s {source} %(levelname)s %(message)s")
    spec = stage_spec(stage)
    built = spec.make(source, **(options or {}))
    if spec.preload:  # a stop then waits for no import (a windowed session ends within 10 s)
        threading.Thread(target=_preload, args=(spec.preload,), daemon=True).start()
    stopping = False

    def _stop() -> None:
        nonlocal stopping
        stopping = True

    stop_signals.install(_stop)
    # Start-up objects (modules, the stage) live for the whole session: taking them
    # out of the collector's generations keeps per-message collections short.
    gc.collect()
    gc.freeze()
    args = (input_endpoint, output_endpoint, lambda: stopping, ready, incarnation)
    if not run_stage(built, *args, orphaned=stop_signals.orphaned, routing_id=routing_id):
        sys.exit(EXIT_UNCONFIRMED)
