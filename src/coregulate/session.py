"""Wires a session's processes together: hub, acquisition, the bus stages.

Start order matters because PUB/SUB drops what is sent before a subscriber joins:

1. the hub (binds its input and output),
2. the stages of `coregulate.stages.registry` (the signal stage, then the sync
   stage, which reads the signal stage's metrics), each reporting ready once its
   subscription is live,
3. then the session clock starts and goes to the acquisition process.

Shutdown runs the other way so nothing is lost: acquisition stops and flushes,
each stage finishes what it received and flushes, upstream first, and the hub
commits and closes the file. Children are born ignoring SIGINT and SIGTERM (sent to
the whole group at once); this process turns them into that ordered shutdown
(`coregulate.bus.shutdown`), and children stop by themselves if it dies.
`Session.supervise` restarts a process that died, or ends the session loudly.

Processes are started with the ``spawn`` method, never ``fork``: forking after a
ZeroMQ context or a QApplication exists is unsafe (docs/architecture.md,
"Processes"). The window that shows a session lives in `coregulate.ui.app`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import time
from pathlib import Path
from typing import Any

import coregulate
from coregulate.acquisition.process import run_acquisition_process
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.bus.producer import BusProducer
from coregulate.bus.routing import RoutingIds
from coregulate.bus.shutdown import (
    EXIT_UNCONFIRMED,
    STOP_SIGNAL,
    StopRequested,
    children_ignore_group_signals,
)
from coregulate.clock import SessionClock
from coregulate.recordings.hub import EXIT_WRITE_FAILED, HubConfig, run_hub_process
from coregulate.recordings.lsl_bridge import LslBridgeConfig, LslBridgeProcess
from coregulate.recordings.parameters import pipeline_parameters
from coregulate.recordings.restarts import SUPERVISOR_TOPIC, clock_text
from coregulate.security.access import BindRefused, check_bind_policy
from coregulate.session_options import (
    DemoOptions,
    SessionError,
    SessionLost,
    SessionOptions,
    UnconfirmedAtStop,
)
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.signal.people import people_meta
from coregulate.stages.registry import StageSpec, stage_order, stage_spec
from coregulate.stages.runner import run_stage_process

log = logging.getLogger(__name__)

_SPAWN = mp.get_context("spawn")
# Started in this order and stopped in it after the straps: upstream stages first.
_STAGE_ORDER = stage_order()
STOP_WAIT_S = 20.0  # how long a process may take to flush and exit when told to stop
STOP_WAIT_HUB_LOST_S = 2.0  # the same once the hub cannot write: nothing can be confirmed
# Names callers import from here (the options and errors live in session_options.py).
__all__ = [
    "DemoOptions",
    "Session",
    "SessionError",
    "SessionLost",
    "SessionOptions",
    "StopRequested",
    "UnconfirmedAtStop",
    "run_headless",
]


class Session:
    """The running processes of one session; use as a context manager."""

    def __init__(self, options: DemoOptions) -> None:
        self.options = options
        self.clock: SessionClock | None = None
        self._procs: dict[str, Any] = {}
        self._restarts = {"hub": 0, "acquisition": 0} | {spec.name: 0 for spec in _STAGE_ORDER}
        self._clock_queue = _SPAWN.Queue()
        self._producer: BusProducer | None = None
        self._info_path: Path | None = None
        self._lsl: LslBridgeProcess | None = None
        self._routing = RoutingIds()  # each child's identity at the hub, kept across restarts
        # Processes whose last messages the hub never confirmed (set by `stop`).
        self.unconfirmed: list[str] = []
        self._hub_lost = False  # the hub cannot write the file: nothing more is recorded

    def start(self) -> SessionClock:
        """Start every process, then the clock; return the clock once data can flow."""
        opts = self.options
        ep = opts.endpoints
        hub_ready = _SPAWN.Event()
        meta = self._meta()
        try:
            # Here too, not only in the hub process: the user reads this message.
            check_bind_policy(ep.input, ep.output, opts.viewers)
        except BindRefused as exc:
            raise SessionError(str(exc)) from None
        hub_config = HubConfig(
            ep.input,
            ep.output,
            str(opts.out),
            meta=meta,
            viewers=opts.viewers,
            status_interval_s=opts.hub_status_interval_s,
        )
        self._spawn("hub", run_hub_process, hub_config, hub_ready, opts.log_level)
        self._start_acquisition()
        self._hub_config = hub_config
        self._wait(hub_ready, "hub", 30)
        for spec in _STAGE_ORDER:
            self._start_stage(spec)
        if opts.lsl is not None:  # subscribed before the clock starts: every beat goes out
            self._lsl = LslBridgeProcess(LslBridgeConfig(ep.input, ep.output, meta, opts.lsl))
            self._lsl.start(self._spawn, self._wait, opts.log_level)
        self.clock = SessionClock.start(opts.speed)
        self._producer = BusProducer(ep.input, "session")
        self._producer.send(
            TOPIC_SESSION,
            {"clock": self.clock.to_dict(), "endpoints": [ep.input, ep.output], **meta},
            0,
        )
        self._clock_queue.put(self.clock)
        if self._lsl is not None:
            self._lsl.clock_started(self.clock)
        self._info_path = _write_info(opts, self.clock)
        return self.clock

    def _meta(self) -> dict[str, Any]:
        """Return the session's metadata, recorded by the hub and sent in `session`."""
        opts = self.options
        return {
            "software": f"coregulate {coregulate.__version__}",
            "mode": opts.mode,
            "client_id": opts.client_id,
            "therapist_id": opts.therapist_id,
            "baseline_s": self._baseline_s(),
            "seed": opts.seed,
            "speed": opts.speed,
            "duration_s": opts.duration_s,
            "parameters": pipeline_parameters(),
            **({"lsl": opts.lsl.to_meta()} if opts.lsl is not None else {}),
            **people_meta(opts.session_people()),  # nothing for the dyad
            **opts.meta,
        }

    def _baseline_s(self) -> float:
        """Return the resting baseline at the start, 0 when the session takes none."""
        return DEFAULT_BASELINE_S if self.options.baseline else 0.0

    def _start_stage(self, spec: StageSpec) -> None:
        """Start the registered stage `spec` and wait until it is subscribed."""
        ep = self.options.endpoints
        ready = _SPAWN.Event()
        # A restarted stage keeps its source name: fed the whole file again, it
        # recomputes its earlier outputs under the same sequence numbers, which the
        # hub already holds and ignores, and goes on from there (never a contradiction).
        restarts = self._restarts[spec.name]
        # Every stage that declares a `people` option gets the session's keys.
        settings = {"baseline_s": self._baseline_s(), "people": self.options.people_keys()}
        options = spec.options_from(settings)
        args = (spec.name, ep.input, ep.output, ready, self.options.log_level, spec.name, options)
        # And its routing id, or the hub would refuse its new seqs (bus/routing.py).
        args += (restarts, self._routing.for_source(spec.name))
        self._spawn(spec.name, run_stage_process, *args)
        self._wait(ready, spec.name, 30)

    def _start_acquisition(self) -> None:
        """Start the straps' process; a restart publishes as ``acq-N`` from its start time on.

        A restart cannot know its predecessor's sequence numbers, hence the new name;
        what the straps sent while no process listened is lost (the file says so).
        """
        opts = self.options
        restarts = self._restarts["acquisition"]
        source = "acq" if not restarts else f"acq-{restarts}"
        specs = list(opts.source_specs())
        args = (
            opts.endpoints.input,
            specs,
            self._clock_queue,
            opts.log_level,
            source,
            restarts > 0,
            self._routing.for_source(source),
        )
        self._spawn("acquisition", run_acquisition_process, *args)
        if self.clock is not None:
            self._clock_queue.put(self.clock)

    def _spawn(self, name: str, target: Any, *args: Any) -> None:
        proc = _SPAWN.Process(target=target, args=args, name=f"coregulate-{name}", daemon=False)
        # Children are born ignoring SIGINT and SIGTERM: a terminal's Ctrl-C, `timeout`
        # or systemd reach every process at once, and this process orders the
        # shutdown (producers flush first, the hub commits last).
        with children_ignore_group_signals():
            proc.start()
        self._procs[name] = proc
        log.info("started the %s process (pid %d)", name, proc.pid)

    def supervise(self) -> None:
        """Restart the hub, a stage or the straps' process if it died; call this regularly.

        A restarted hub appends to the same file on the same endpoints, and the
        producers resend what it had not committed, so nothing is lost; the stages
        take what they missed from its replay of the file. A restarted stage takes
        the whole file first, so it resumes where its predecessor was (its outputs
        equal a clean run's). A restarted straps' process reconnects the straps;
        what they sent meanwhile is lost, and the file says so. Each restart is
        recorded (`SUPERVISOR_TOPIC`). Raises SessionLost when a process cannot be
        restarted (the disk is full, or it died `max_restarts` times).
        """
        if self._producer is not None:
            self._producer.pump()
        for name in ("hub", "acquisition", *(spec.name for spec in _STAGE_ORDER)):
            proc = self._procs.get(name)
            if proc is None or proc.is_alive():
                continue
            if name == "acquisition" and proc.exitcode in (0, EXIT_UNCONFIRMED):
                continue  # the straps ended: the session is finished
            self._restart(name, proc.exitcode)
        if self._lsl is not None:  # restarted if it died (docs/lsl.md)
            self._lsl.supervise(self._procs, self._spawn, self._wait, self.options.log_level)

    def _restart(self, name: str, exit_code: int | None) -> None:
        """Restart process `name`, dead with `exit_code`; raise SessionLost if it cannot be."""
        if name == "hub" and exit_code == EXIT_WRITE_FAILED:
            self._hub_lost = True
            raise self._lost(
                f"the session file {self.options.out} could not be written (disk full or "
                "an I/O error; see the message above), so the session has ended. Everything "
                "recorded before that moment is intact in the file. Free disk space and "
                "start a new session"
            )
        if self._restarts[name] >= self.options.max_restarts:
            raise self._lost(
                f"the {name} process died (exit code {exit_code}) and was not restarted "
                f"again after {self._restarts[name]} restarts, so the session has ended"
            )
        self._restarts[name] += 1
        log.error(
            "the %s process stopped unexpectedly (exit code %s); restarting it (%d)",
            name,
            exit_code,
            self._restarts[name],
        )
        if name == "hub":
            ready = _SPAWN.Event()
            self._spawn("hub", run_hub_process, self._hub_config, ready, self.options.log_level)
            self._wait(ready, "hub", 30)
        elif name == "acquisition":
            self._start_acquisition()
        else:
            self._start_stage(stage_spec(name))
        self._record_restart(name, exit_code)

    def _record_restart(self, name: str, exit_code: int | None) -> None:
        """Record in the file that process `name` died and was restarted (the summary reads it)."""
        if self._producer is None or self.clock is None:
            return
        payload = {
            "status": "restarted",
            "process": name,
            "exit_code": exit_code,
            "restarts": self._restarts[name],
        }
        self._producer.send(SUPERVISOR_TOPIC, payload, self.clock.now_ns())

    def _lost(self, text: str) -> SessionLost:
        """Return the error that ends the session now, saying from when nothing is recorded."""
        if self.clock is None:
            return SessionLost(text)
        after = clock_text(self.clock.now_ns())
        return SessionLost(f"{text}; nothing was recorded after {after}", after)

    def _wait(self, event: Any, name: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while not event.wait(0.1):
            proc = self._procs[name]
            if not proc.is_alive():
                self.stop()
                raise SessionError(
                    f"the {name} process ended at start-up (exit code {proc.exitcode}); "
                    "run again with -v to see why"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise SessionError(f"the {name} process did not start within {timeout_s:g} s")

    def acquisition_running(self) -> bool:
        """Return True while the straps are still streaming."""
        proc = self._procs.get("acquisition")
        return bool(proc and proc.is_alive())

    def finished(self) -> bool:
        """Return True once the straps have ended or the session's time is up.

        A straps' process that died is not an end: `supervise` restarts it.
        """
        proc = self._procs.get("acquisition")
        if proc is None or (not proc.is_alive() and proc.exitcode in (0, EXIT_UNCONFIRMED)):
            return True
        limit_s = self.options.stop_after_s
        return bool(limit_s and self.clock and self.clock.now_ns() >= limit_s * 1e9)

    def stop(self) -> None:
        """Stop in order (acquisition, stages upstream first, hub), each flushing what it holds."""
        if self._info_path is not None:
            self._info_path.unlink(missing_ok=True)  # viewers stop finding this session
            self._info_path = None
        # With the hub gone for good (a full disk) no process's last messages can be
        # recorded: waiting for confirmations only kept the user waiting (about 50 s).
        wait_s = STOP_WAIT_HUB_LOST_S if self._hub_lost else STOP_WAIT_S
        if self._producer is not None:
            if not self._producer.flush(timeout_s=min(5.0, wait_s)):
                self.unconfirmed.append("main")
            self._producer.close()
            self._producer = None
        for name in ("acquisition", *(spec.name for spec in _STAGE_ORDER), "lsl", "hub"):
            proc = self._procs.get(name)
            if proc is None:
                continue
            if proc.is_alive():
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.kill(proc.pid, STOP_SIGNAL)  # each process flushes and exits
            proc.join(wait_s)
            if proc.is_alive():
                log.log(
                    logging.WARNING if self._hub_lost else logging.ERROR,
                    "the %s process did not stop within %g s; killing it",
                    name,
                    wait_s,
                )
                proc.kill()
                proc.join(5)
                if self._hub_lost and name != "hub":
                    self.unconfirmed.append(name)  # what it still held is not in the file
            if proc.exitcode == EXIT_UNCONFIRMED:
                self.unconfirmed.append(name)
        self._procs.clear()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: object, exc: object, *rest: object) -> None:
        self.stop()
        if isinstance(exc, SessionLost):  # the summary names whose last messages are missing
            exc.unconfirmed = list(self.unconfirmed)
        if exc_type is None and self.unconfirmed:
            raise UnconfirmedAtStop(self.unconfirmed, self.options.out)


def run_headless(options: DemoOptions, stop: StopRequested) -> None:
    """Run a session with no window until it ends or `stop` is requested."""
    with Session(options) as session:
        session.start()
        while not stop.requested:
            session.supervise()
            if session.finished():
                break
            time.sleep(0.1)


def _write_info(opts: DemoOptions, clock: SessionClock) -> Path | None:
    """Write the session-info file `coregulate view` finds; None (logged) if it cannot."""
    from coregulate.session_info import SessionInfo, write_session_info

    ep = opts.endpoints
    # Absolute: `coregulate view` runs from any folder.
    file = str(Path(opts.out).absolute())
    info = SessionInfo(ep.input, ep.output, file, clock.to_dict(), opts.client_id)
    try:
        return write_session_info(info)
    except OSError as exc:
        log.warning(
            "could not write the session-info file (%s); `coregulate view` will "
            "need --input/--output/--file",
            exc,
        )
        return None
