"""The LSL bridge process: the session's streams out to LSL, an LSL marker stream in.

Started by the session (only with `--lsl` or `--lsl-markers`) after the stages and
before the clock, it subscribes to the hub like a viewer and pushes each beat,
metrics update, synchrony step, marker and rating to its outlet
(`lsl_streams.SessionOutlets`) the moment the hub publishes it. Once the clock
starts it records the session-clock ↔ `local_clock()` mapping in the session file
(``lsl.clock``, docs/lsl.md). With `markers_from`, a thread reads that LSL
``Markers`` stream and the bridge publishes each sample as a session marker
(src ``lsl``); the window shows it, the file keeps it. At the end it records its
counts (``status.lsl``). It stops after the stages, so their last messages still go out.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from coregulate.acquisition.lsl import ClockMap, LslOptions, LslUnavailable, load_pylsl
from coregulate.acquisition.lsl_inlet import LslInlet, StreamLost, StreamRefused
from coregulate.bus.envelope import (
    TOPIC_BEAT,
    TOPIC_MARKER,
    TOPIC_METRICS,
    TOPIC_RATING,
    TOPIC_STATUS,
    TOPIC_SYNC,
)
from coregulate.bus.producer import BusProducer
from coregulate.bus.shutdown import EXIT_UNCONFIRMED, StopSignals
from coregulate.bus.subscriber import BusSubscriber
from coregulate.clock import SessionClock
from coregulate.recordings.lsl_streams import SessionOutlets, source_id, stream_defs
from coregulate.signal.people import keys_of, people_from_session
from coregulate.stages.stage_input import wait_until_subscribed

log = logging.getLogger(__name__)

SOURCE = "lsl"
TOPIC_LSL_CLOCK = "lsl.clock"
LINGER_S = 0.5  # outlets stay open this long after the session's last sample
MAX_MARKER_CHARS = 500  # a marker is a short label; a longer sample is cut, and counted
_TOPICS = (f"{TOPIC_BEAT}.", f"{TOPIC_METRICS}.", TOPIC_SYNC, TOPIC_MARKER, TOPIC_RATING)


@dataclass(frozen=True)
class LslBridgeConfig:
    """What the bridge needs: the hub's endpoints, the session's metadata, the options."""

    input_endpoint: str
    output_endpoint: str
    meta: dict[str, Any] = field(default_factory=dict)
    options: LslOptions = field(default_factory=LslOptions)
    source: str = SOURCE  # bus source name; a restarted bridge takes "lsl-1", "lsl-2", ...


class MarkerReader(threading.Thread):
    """Reads the LSL Markers stream `name` into `events` until `stop` is set.

    Puts ``("marker", lsl_s, text)``, ``("refused", kind, message)`` or
    ``("lost", message)`` tuples; a vanished stream is looked for again.
    """

    def __init__(self, pylsl: Any, options: LslOptions, events: queue.Queue) -> None:
        super().__init__(name="lsl-markers", daemon=True)
        assert options.markers_from is not None
        self._reader = LslInlet(
            pylsl, options.markers_from, ("Markers",), options.resolve_timeout_s
        )
        self._events = events
        self.stop = threading.Event()

    def run(self) -> None:
        """Find, read, and find again, until stopped (an unforeseen error is logged, retried)."""
        while not self.stop.is_set():
            try:
                self._read_once()
            except Exception:
                log.exception("LSL markers: reading %r failed; trying again", self._reader.name)
                self._reader.close()
                self.stop.wait(1.0)
        self._reader.close()

    def _read_once(self) -> None:
        """Find the stream and read it until it vanishes or the reader is stopped."""
        try:
            if not self._reader.find():
                return
        except StreamRefused as exc:
            self._events.put(("refused", exc.kind, str(exc)))
            self.stop.wait(1.0)
            return
        try:
            while not self.stop.wait(0.02):
                samples, stamps = self._reader.pull()
                for sample, lsl_s in zip(samples, stamps.tolist(), strict=True):
                    self._events.put(("marker", lsl_s, " | ".join(map(str, sample))))
        except StreamLost as exc:
            self._events.put(("lost", str(exc)))


class LslBridge:
    """One session's bridge between the bus and LSL (see the module docstring)."""

    def __init__(self, pylsl: Any, config: LslBridgeConfig) -> None:
        self._lsl = pylsl
        self.config = config
        opts = config.options
        self.outlets = SessionOutlets(pylsl, config.meta) if opts.out else None
        self.clock_map: ClockMap | None = None
        self.markers_in = 0
        self.refused: dict[str, int] = {}
        self._events: queue.Queue = queue.Queue()
        self._reader = MarkerReader(pylsl, opts, self._events) if opts.markers_from else None

    def wait_for_consumers(self) -> bool:
        """Wait (up to the configured time) until every outlet has a consumer; True if so."""
        limit_s = self.config.options.wait_for_consumers_s
        if self.outlets is None or limit_s <= 0:
            return True
        deadline = time.monotonic() + limit_s
        for name, outlet in self.outlets.outlets.items():
            if not outlet.wait_for_consumers(max(0.0, deadline - time.monotonic())):
                log.warning("LSL: nobody reads %s after %g s; starting anyway", name, limit_s)
                return False
        return True

    def clock_payload(self) -> dict[str, Any]:
        """Return the ``lsl.clock`` payload: the mapping, the scope and every outlet."""
        assert self.clock_map is not None
        meta, opts = self.config.meta, self.config.options
        streams = [
            {"name": d.name, "type": d.type, "source_id": source_id(meta, d.name)}
            for d in (stream_defs(keys_of(people_from_session(meta))) if opts.out else ())
        ]
        return {
            **self.clock_map.to_dict(),
            "liblsl": self._lsl.library_version(),
            **opts.to_meta(),
            "streams": streams,
        }

    def start(self, clock: SessionClock, producer: BusProducer) -> None:
        """Measure the clock mapping, record it, and start reading markers."""
        self.clock_map = ClockMap.measure(
            clock.monotonic_anchor_ns, clock.speed, self._lsl.local_clock
        )
        producer.send(TOPIC_LSL_CLOCK, self.clock_payload(), 0)
        if self._reader is not None:
            self._reader.start()

    def take_markers(self, producer: BusProducer) -> None:
        """Publish what the marker reader found: markers, refusals and losses."""
        assert self.clock_map is not None
        name = self.config.options.markers_from
        while True:
            try:
                event = self._events.get_nowait()
            except queue.Empty:
                return
            if event[0] == "marker":
                _, lsl_s, text = event
                if len(text) > MAX_MARKER_CHARS:
                    self._count("oversize", f"a marker of {len(text)} characters was cut")
                    text = text[:MAX_MARKER_CHARS]
                t_ns = self.clock_map.session_ns(lsl_s)
                payload = {
                    "id": uuid.uuid4().hex, "kind": "note", "t_ns": t_ns, "text": text,
                    "from": f"lsl:{name}",
                }  # fmt: skip
                producer.send(TOPIC_MARKER, payload, t_ns)
                self.markers_in += 1
            elif event[0] == "refused":
                self._count(event[1], event[2])
                producer.send(f"{TOPIC_STATUS}.{self.config.source}", self.counts("refused"), 0)
            else:
                log.warning("%s; markers resume when it returns", event[1])

    def _count(self, kind: str, message: str) -> None:
        self.refused[kind] = self.refused.get(kind, 0) + 1
        log.error("LSL markers: %s (refused, counted)", message)

    def counts(self, status: str) -> dict[str, Any]:
        """Return the bridge's counts under `status` (for ``status.lsl``)."""
        return {
            "status": status,
            "samples": dict(self.outlets.samples) if self.outlets else {},
            "skipped": self.outlets.skipped if self.outlets else 0,
            "markers_in": self.markers_in,
            "refused": dict(self.refused),
            "refused_total": sum(self.refused.values()),
        }

    def close(self) -> None:
        """Stop reading markers and close the outlets (LabRecorder sees them go).

        An inlet that notices its outlet gone drops what it had not yet handed to
        its reader (liblsl), so the outlets stay open `LINGER_S` for the last samples.
        """
        if self._reader is not None:
            self._reader.stop.set()
            self._reader.join(5.0)
        if self.outlets is not None:
            time.sleep(LINGER_S)
        self.outlets = None


def _wait_for_clock(clock_queue: Any, stop: Any, timeout_s: float = 120.0) -> SessionClock | None:
    """Return the session clock once the parent sends it; None if told to stop first."""
    deadline = time.monotonic() + timeout_s
    while not stop() and time.monotonic() < deadline:
        try:
            return clock_queue.get(timeout=0.2)
        except queue.Empty:
            continue
    return None


def run_bridge(bridge: LslBridge, clock_queue: Any, ready: Any, stop: Any) -> bool:
    """Run `bridge` until `stop()`, then drain; return True if the hub confirmed all it sent."""
    cfg = bridge.config
    producer = BusProducer(cfg.input_endpoint, cfg.source)
    subscriber = BusSubscriber(cfg.output_endpoint, (*_TOPICS, f"{TOPIC_STATUS}.{cfg.source}"))
    try:
        if not wait_until_subscribed(producer, subscriber):
            log.error("the LSL bridge could not reach the hub at %s", cfg.output_endpoint)
            return False
        bridge.wait_for_consumers()
        ready.set()
        clock = _wait_for_clock(clock_queue, stop)
        if clock is None:
            return producer.flush(timeout_s=1.0)  # stopped before the session began
        bridge.start(clock, producer)
        quiet_since: float | None = None
        while True:
            msg = subscriber.recv(timeout_ms=10)
            if msg is not None:
                quiet_since = None
                if bridge.outlets is not None and not msg.topic.startswith(TOPIC_STATUS):
                    assert bridge.clock_map is not None
                    bridge.outlets.push(msg, bridge.clock_map)
            elif stop():
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.3:
                    break
            bridge.take_markers(producer)
            producer.pump()
        producer.send(f"{TOPIC_STATUS}.{cfg.source}", bridge.counts("stopped"), 0)
    finally:
        bridge.close()
        confirmed = producer.flush(timeout_s=10.0)
        producer.close()
        subscriber.close()
    return confirmed


def run_lsl_process(
    config: LslBridgeConfig, ready: Any, clock_queue: Any, log_level: int = logging.INFO
) -> None:
    """Entry point of the LSL bridge process (spawned; the parent orders its shutdown)."""
    stop_signals = StopSignals()
    logging.basicConfig(level=log_level, format="%(asctime)s lsl %(levelname)s %(message)s")
    try:
        pylsl = load_pylsl(config.options.lab)
    except LslUnavailable as exc:
        log.error("%s", exc)
        sys.exit(1)
    stopping = False

    def _stop() -> None:
        nonlocal stopping
        stopping = True

    stop_signals.install(_stop)
    if not run_bridge(LslBridge(pylsl, config), clock_queue, ready, lambda: stopping):
        sys.exit(EXIT_UNCONFIRMED)


class LslBridgeProcess:
    """The session's bridge process: started before the clock, restarted if it dies.

    A restart publishes as ``lsl-<n>`` (its seqs start again) with the same outlets
    and source ids, so LabRecorder picks the streams up again; what the session
    published while it was down is in the file, not in LSL. After `MAX_RESTARTS` the
    session goes on without LSL, loudly. `spawn(name, target, *args)` and
    `wait(event, name, timeout_s)` are the session's.
    """

    MAX_RESTARTS = 3

    def __init__(self, config: LslBridgeConfig) -> None:
        self.config = config
        self.restarts = 0
        self._clock: SessionClock | None = None
        self._queue: Any = None

    def start(self, spawn: Any, wait: Any, log_level: int) -> None:
        """Spawn the bridge and wait until it is subscribed (and read, with --lsl-wait)."""
        ctx = mp.get_context("spawn")
        cfg = self.config
        if self.restarts:
            options = replace(cfg.options, wait_for_consumers_s=0.0)  # the session runs
            cfg = replace(cfg, options=options, source=f"{SOURCE}-{self.restarts}")
        ready, self._queue = ctx.Event(), ctx.Queue()
        spawn("lsl", run_lsl_process, cfg, ready, self._queue, log_level)
        if self._clock is not None:
            self._queue.put(self._clock)
        wait(ready, "lsl", 30 + cfg.options.wait_for_consumers_s)

    def clock_started(self, clock: SessionClock) -> None:
        """Hand the bridge the session clock (it then records the LSL mapping)."""
        self._clock = clock
        self._queue.put(clock)

    def supervise(self, procs: dict[str, Any], spawn: Any, wait: Any, log_level: int) -> None:
        """Restart the bridge if its process in `procs` died."""
        proc = procs.get("lsl")
        if proc is None or proc.is_alive():
            return
        self.restarts += 1
        if self.restarts > self.MAX_RESTARTS:
            del procs["lsl"]
            log.error("the LSL process keeps stopping (exit code %s); LSL is off", proc.exitcode)
            return
        log.error("the LSL process stopped (exit code %s); restarting it", proc.exitcode)
        self.start(spawn, wait, log_level)
