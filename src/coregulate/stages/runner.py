"""Runs a `Stage` as a bus process: subscribe, update, publish, flush when told to stop.

Readiness: PUB/SUB drops what is published before a subscription has reached the
hub (the slow joiner). So the runner publishes a `status.<name>` hello and waits
until it sees it come back through the hub: from then on its subscription is live
and the parent may start the producers.
"""

from __future__ import annotations

import gc
import logging
import sys
import time
from collections import Counter
from typing import Any

from coregulate.bus.envelope import TOPIC_STATUS, Message, topic_for
from coregulate.bus.producer import BusProducer
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, StopSignals
from coregulate.bus.subscriber import BusSubscriber
from coregulate.stages.base import Output, Stage

log = logging.getLogger(__name__)


def wait_until_subscribed(
    producer: BusProducer, subscriber: BusSubscriber, timeout_s: float = 30.0
) -> bool:
    """Return True once a hello sent through the hub comes back to `subscriber`."""
    topic = topic_for(TOPIC_STATUS, producer.source)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        hello = producer.send(topic, {"status": "ready"}, 0)
        end = time.monotonic() + 0.2
        while time.monotonic() < end:
            producer.pump()
            msg = subscriber.recv(timeout_ms=20)
            if msg is not None and msg.stream == hello.stream and msg.seq == hello.seq:
                return True
    return False


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
    stage: Stage, input_endpoint: str, output_endpoint: str, stop: Any, ready: Any
) -> bool:
    """Run `stage` on the bus until `stop()` is true, then drain and flush.

    Return True if the hub confirmed everything the stage sent (False is logged).
    """
    producer = BusProducer(input_endpoint, stage.name)
    hello = topic_for(TOPIC_STATUS, stage.name)
    subscriber = BusSubscriber(output_endpoint, (*stage.topics, hello))
    try:
        if not wait_until_subscribed(producer, subscriber):
            log.error("%s stage could not reach the hub at %s", stage.name, output_endpoint)
            return False
        if ready is not None:
            ready.set()
        quiet_since: float | None = None
        failures: Counter[str] = Counter()
        while True:
            msg = subscriber.recv(timeout_ms=20)
            producer.pump()
            if msg is not None:
                quiet_since = None
                if msg.topic != hello:  # its own readiness hello is no input
                    for out in _update_safely(stage, msg, failures):
                        producer.send(out.topic, out.payload, out.t_ns)
            elif stop():
                # Stopping: finish what the hub already published to us first.
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.3:
                    break
        for out in stage.terminate():
            producer.send(out.topic, out.payload, out.t_ns)
        if subscriber.lost:
            log.error("%s stage missed %d messages from the hub", stage.name, subscriber.lost)
    finally:
        confirmed = producer.flush(timeout_s=10.0)
        producer.close()
        subscriber.close()
    return confirmed


def run_stage_process(
    stage: str,
    input_endpoint: str,
    output_endpoint: str,
    ready: Any,
    log_level: int = logging.INFO,
    source: str | None = None,
    options: dict[str, Any] | None = None,
) -> None:
    """Entry point of a stage process: run the registered stage `stage` until told to stop.

    The arguments pickle (the process is spawned): the stage's name in
    `coregulate.stages.registry.STAGES`, its bus `source` name (a restarted stage
    takes a new one, default the stage's name) and its `options`. The parent
    orders the shutdown (`coregulate.bus.shutdown`). Exits with `EXIT_UNCONFIRMED`
    if the hub did not confirm everything the stage sent.
    """
    from coregulate.stages.registry import stage_spec

    stop_signals = StopSignals()
    source = source or stage
    # Logging first, so what building the stage reports (a bad profile) reads the same.
    logging.basicConfig(level=log_level, format=f"%(asctime)s {source} %(levelname)s %(message)s")
    built = stage_spec(stage).make(source, **(options or {}))
    stopping = False

    def _stop() -> None:
        nonlocal stopping
        stopping = True

    stop_signals.install(_stop)
    # Start-up objects (modules, the stage) live for the whole session: taking them
    # out of the collector's generations keeps per-message collections short.
    gc.collect()
    gc.freeze()
    if not run_stage(built, input_endpoint, output_endpoint, lambda: stopping, ready):
        sys.exit(EXIT_UNCONFIRMED)
