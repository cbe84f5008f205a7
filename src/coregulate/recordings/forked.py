"""Independent pieces of an offline analysis on several cores, when forking is safe.

The offline pipeline's per-person chains and the heart-rate synchrony do not depend
on each other. On Linux, a process with a single thread can fork children that
inherit everything already imported and computed (no start-up cost, unlike a spawned
process), compute one piece each and send it back pickled through a pipe. Forking a
process that runs other threads can deadlock a child on a lock another thread held,
so with more than one thread (a test runner, a window, BLAS worker threads), on other
systems, or when asked, every piece runs here in turn. The results are the same either
way: each piece runs the same code on the same data.
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import signal
import sys
from collections.abc import Callable, Iterator
from typing import Any

Job = Callable[[], Any]


class WorkerFailed(RuntimeError):
    """A forked worker died without sending its result back."""


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector inside the block (reference counting goes on).

    An offline analysis builds hundreds of thousands of small dicts and frees them
    by reference counting; the collector's passes over them found nothing to free
    and cost 5-10 % of an hour's analysis, and 90 % of unpickling a worker's result.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def can_fork() -> bool:
    """Return True if this process may fork workers: Linux, and no other thread running."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


class Workers:
    """Jobs started in forked workers when safe (else run at once), results taken later.

    Used as a context manager: leaving the block by an exception stops the workers
    whose results were not taken.

    Examples
    --------
    >>> with Workers() as workers:
    ...     later = workers.start(lambda: 6 * 7)
    ...     here = 1 + 1
    ...     (later.result(), here)
    (42, 2)
    """

    def __init__(self, parallel: bool = True) -> None:
        self.parallel = parallel and can_fork()
        self._pending: list[Pending] = []

    def start(self, job: Job) -> Pending:
        """Start `job` (in a worker if this process may fork); return its pending result."""
        pending = Pending(_fork(job) if self.parallel else None, job)
        self._pending.append(pending)
        return pending

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        for pending in self._pending:
            pending.discard()


class Pending:
    """The result of one job: computed by a worker, or here when no worker was started."""

    def __init__(self, worker: tuple[int, int] | None, job: Job) -> None:
        self._worker = worker
        self._done = False
        self._value: Any = None
        if worker is None:  # run now, in order: the sequential run does the same work
            self._value, self._done = job(), True

    def result(self) -> Any:
        """Return the job's result (waiting for its worker), or raise what the job raised."""
        if not self._done:
            assert self._worker is not None
            pid, fd = self._worker
            self._worker = None
            self._value, self._done = _collect(pid, fd), True
        return self._value

    def discard(self) -> None:
        """Stop the worker if its result was never taken."""
        if self._worker is not None:
            _discard(*self._worker)
            self._worker = None


def _fork(job: Job) -> tuple[int, int]:
    """Start `job` in a forked worker; return its pid and the pipe its result comes on."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the worker: compute, send, and leave without running the parent's exit
        os.close(read_fd)
        code = 0
        try:
            try:
                outcome: tuple[bool, Any] = (True, job())
            except Exception as exc:
                outcome = (False, exc)
            try:
                data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception as exc:  # an unpicklable result or exception
                data = pickle.dumps((False, WorkerFailed(f"result not transferable: {exc}")))
            with os.fdopen(write_fd, "wb") as pipe:
                pipe.write(data)
        except BaseException:
            code = 1
        finally:
            os._exit(code)
    os.close(write_fd)
    return pid, read_fd


def _collect(pid: int, read_fd: int) -> Any:
    """Return the result a worker sent (re-raising its exception), and reap it."""
    with os.fdopen(read_fd, "rb") as pipe:
        data = pipe.read()  # read before waiting: a large result fills the pipe first
    _, status = os.waitpid(pid, 0)
    if not data:
        raise WorkerFailed(f"an analysis worker ended without a result (wait status {status})")
    with paused_gc():
        ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def _discard(pid: int, read_fd: int) -> None:
    """Stop a worker whose result is no longer wanted, and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    os.close(read_fd)
    os.waitpid(pid, 0)
