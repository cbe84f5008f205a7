"""Runs a `Stage` as a bus process: subscribe, update, publish, flush on SIGTERM.

Readiness: PUB/SUB drops what is published before a subscription has reached the
hub (the slow joiner). So the runner publishes a `status.<name>` hello and waits
until it sees it come back through the hub: from then on its subscription is live
and the parent may start the producers.
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from collections import Counter
from typing import Any

from coregulate.bus.envelope import TOPIC_STATUS, Message, topic_for
from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber
from coregulate.signal.dyad import DEFAULT_BASELINE_S
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
) -> None:
    """Run `stage` on the bus until `stop()` is true, then drain, flush and return."""
    producer = BusProducer(input_endpoint, stage.name)
    subscriber = BusSubscriber(output_endpoint, (*stage.topics, TOPIC_STATUS + "." + stage.name))
    try:
        if not wait_until_subscribed(producer, subscriber):
            log.error("%s stage could not reach the hub at %s", stage.name, output_endpoint)
            return
        if ready is not None:
            ready.set()
        quiet_since: float | None = None
        failures: Counter[str] = Counter()
        while True:
            msg = subscriber.recv(timeout_ms=20)
            producer.pump()
            if msg is not None:
                quiet_since = None
                if not msg.topic.startswith(TOPIC_STATUS):
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
        producer.flush(timeout_s=10.0)
        producer.close()
        subscriber.close()


def _run_stage_process(
    stage: Stage, input_endpoint: str, output_endpoint: str, ready: Any, log_level: int
) -> None:
    """Run `stage` in this (child) process until SIGTERM; the parent orders shutdown."""
    logging.basicConfig(
        level=log_level, format=f"%(asctime)s {stage.name} %(levelname)s %(message)s"
    )
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent orders the shutdown
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    # Start-up objects (modules, the stage) live for the whole session: taking them
    # out of the collector's generations keeps per-message collections short.
    gc.collect()
    gc.freeze()
    run_stage(stage, input_endpoint, output_endpoint, lambda: stopping, ready)


def run_metrics_stage_process(
    input_endpoint: str,
    output_endpoint: str,
    ready: Any,
    log_level: int = logging.INFO,
    name: str = "signal",
    baseline_s: float = DEFAULT_BASELINE_S,
    profile_paths: dict[str, str] | None = None,
) -> None:
    """Entry point of the signal process: the per-person metrics stage until SIGTERM.

    `baseline_s` is the resting period collected at the start of the session;
    `profile_paths` maps a role to a stored baseline profile (docs/metrics.md) used
    instead. A profile that cannot be read is reported and that person's baseline is
    collected in the session instead: a bad file never stops a session.
    """
    from coregulate.signal.baseline import BaselineError, BaselineProfile
    from coregulate.signal.person import PersonConfig
    from coregulate.stages.metrics_stage import PersonMetricsStage

    # Logging first, as _run_stage_process sets it, so a profile error reads the same.
    logging.basicConfig(level=log_level, format=f"%(asctime)s {name} %(levelname)s %(message)s")
    profiles = {}
    for role, path in (profile_paths or {}).items():
        try:
            profiles[role] = BaselineProfile.load(path)
        except BaselineError as exc:
            log.error("%s; the %s's baseline is taken in this session instead", exc, role)
    stage = PersonMetricsStage(PersonConfig(baseline_s=baseline_s), profiles, name=name)
    _run_stage_process(stage, input_endpoint, output_endpoint, ready, log_level)


def run_sync_stage_process(
    input_endpoint: str,
    output_endpoint: str,
    ready: Any,
    log_level: int = logging.INFO,
    name: str = "sync",
) -> None:
    """Entry point of the sync process: the dyadic synchrony stage until SIGTERM."""
    from coregulate.stages.sync_stage import SyncStage

    _run_stage_process(SyncStage(name=name), input_endpoint, output_endpoint, ready, log_level)
