"""A real chest strap over BLE (bleak): find, connect, stream, and come back after a drop.

One `BleStrap` per role; several run concurrently in the acquisition process's
asyncio loop and never wait on each other, except that connection attempts are
taken one at a time (see `ble.connect_lock`). The notification callbacks only
stamp the arrival time on the session clock and queue the bytes (bleak's
`async_callback_with_queue` pattern): parsing and publishing happen downstream.

The life of a strap, as status words (docs/connecting-straps.md):
``connecting`` (searching, then connecting; a strap that is not there yet is
waited for) → ``streaming`` → on a drop or silence ``disconnected`` →
``reconnecting`` (retries with exponential backoff and jitter, forever unless
`ReconnectPolicy.max_attempts` says otherwise) → ``streaming`` ... or ``gave up``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from coregulate.acquisition import pmd
from coregulate.acquisition.ble import (
    BATTERY_LEVEL,
    HEART_RATE_MEASUREMENT,
    PMD_CONTROL,
    PMD_DATA,
    Backends,
    connect_lock,
    explain_unavailable,
    resolve_backends,
)
from coregulate.acquisition.source import (
    KIND_ECG,
    STATUS_CONNECTING,
    STATUS_DISCONNECTED,
    STATUS_GAVE_UP,
    STATUS_NO_BLUETOOTH,
    STATUS_RECONNECTING,
    STATUS_STREAMING,
    SourceEvent,
)
from coregulate.acquisition.specs import BleStrapSpec
from coregulate.clock import SessionClock

log = logging.getLogger(__name__)

# What can go wrong in one attempt without being a bug: the strap is away, the link
# broke mid-setup, the stack said no. Anything else is a bug and propagates.
_ATTEMPT_ERRORS = (BleakError, TimeoutError, asyncio.TimeoutError, OSError, EOFError)


class _StrapAway(Exception):
    """The strap was not found by a scan (out of range, off, or connected elsewhere)."""


class _ConnectStalled(TimeoutError):
    """Connecting (link and service discovery) took longer than the policy allows."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"connection timed out after {timeout_s:g} s (service discovery stalled?)")


def matches(device_address: str, local_name: str | None, wanted: str) -> bool:
    """Return True if a device with this address and advertised name is `wanted`.

    `wanted` is an address (compared case-insensitively) or a name: exact, or a
    case-insensitive prefix (``Polar H10`` finds ``Polar H10 A1B2C3D4``).
    """
    if device_address.lower() == wanted.lower():
        return True
    if not local_name:
        return False
    return local_name == wanted or local_name.lower().startswith(wanted.lower())


class BleStrap:
    """One role's strap over BLE, as a `HeartRateSource`.

    Parameters
    ----------
    spec
        Which strap (address or name), whether to stream ECG, and the reconnection policy.
    clock
        The session clock every notification is stamped with on arrival.
    backends
        ``(scanner_backend, client_backend)`` for bleak's ``backend=`` (tests pass
        emulated ones); default from ``spec.backend``, else the platform's stack.
    rng
        Source of backoff jitter (seed it for reproducible tests).
    """

    def __init__(
        self,
        spec: BleStrapSpec,
        clock: SessionClock,
        *,
        backends: Backends | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.role = spec.role
        self.name = spec.device
        self.spec = spec
        self._clock = clock
        self._scanner_backend, self._client_backend = backends or resolve_backends(spec.backend)
        self._rng = rng or random.Random()
        self._queue: asyncio.Queue[SourceEvent] = asyncio.Queue()
        self._last_rx_s = 0.0
        self._failures: dict[str, int] = {}
        self._closing = False
        self.connections = 0  # successful connections so far (1 + reconnections)
        self._dropped_ns: int | None = None  # session time of the last drop, until back
        self._pmd: tuple[Any, asyncio.Queue[bytes]] | None = None  # (client, responses)

    # -- the HeartRateSource interface -------------------------------------------------

    async def events(self) -> AsyncIterator[SourceEvent]:
        """Yield notifications and status changes until cancelled or the strap gives up."""
        runner = asyncio.create_task(self._run(), name=f"ble-{self.role}")
        get: asyncio.Future[SourceEvent] | None = None
        try:
            while True:
                get = asyncio.ensure_future(self._queue.get())
                done, _ = await asyncio.wait({get, runner}, return_when=asyncio.FIRST_COMPLETED)
                if get in done:
                    yield get.result()
                    continue
                while not self._queue.empty():
                    yield self._queue.get_nowait()
                break  # the runner ended: after "gave up", or a bug (raised below)
        finally:
            if get is not None:
                get.cancel()
            # Some layers turn a cancellation that races a timeout into a TimeoutError
            # (asyncio.timeout on Python 3.11); the flag makes the loop end anyway.
            self._closing = True
            while not runner.done():
                runner.cancel()
                await asyncio.wait({runner}, timeout=1.0)
        if not runner.cancelled():
            runner.result()  # re-raise a bug in the runner

    # -- helpers -----------------------------------------------------------------------

    def _emit(self, status: str | None, **detail: Any) -> None:
        self._queue.put_nowait(
            SourceEvent(self.role, self._clock.now_ns(), status=status, detail=detail)
        )

    def _on_hrm(self, _char: Any, data: bytearray) -> None:
        # Stamp first, then queue: nothing else belongs in a notification callback.
        t_ns = self._clock.now_ns()
        self._queue.put_nowait(SourceEvent(self.role, t_ns, data=bytes(data)))
        self._last_rx_s = asyncio.get_running_loop().time()

    def _on_ecg(self, _char: Any, data: bytearray) -> None:
        t_ns = self._clock.now_ns()
        self._queue.put_nowait(SourceEvent(self.role, t_ns, data=bytes(data), kind=KIND_ECG))

    # -- the connection loop -----------------------------------------------------------

    async def _run(self) -> None:
        policy = self.spec.policy
        failures = 0
        while not self._closing:
            status = STATUS_RECONNECTING if self.connections else STATUS_CONNECTING
            self._emit(status, device=self.spec.device, attempt=failures + 1)
            try:
                device = await self._find()
                await self._session(device)  # returns when the strap drops
                failures = 0
                continue  # reconnect at once: a strap that dropped often comes right back
            except _StrapAway:
                error = f"not found within {policy.scan_timeout_s:g} s (out of range or off?)"
            except _ATTEMPT_ERRORS as exc:
                explained = explain_unavailable(exc)
                if explained is not None:
                    self._log_once("no bluetooth", logging.ERROR, explained)
                    self._emit(STATUS_NO_BLUETOOTH, error=explained)
                plain = str(exc) if isinstance(exc, _ConnectStalled) else None
                error = explained or plain or f"{type(exc).__name__}: {exc}"
            failures += 1
            if policy.max_attempts is not None and failures >= policy.max_attempts:
                log.error("%s strap: gave up after %d attempts (%s)", self.role, failures, error)
                self._emit(STATUS_GAVE_UP, attempts=failures, error=error)
                return
            wait_s = policy.backoff_s(failures, self._rng.random())
            self._log_once(error.split(":")[0], logging.WARNING, f"{error}; retrying")
            log.info(
                "%s strap: attempt %d failed (%s); next in %.1f s",
                self.role,
                failures,
                error,
                wait_s,
            )
            self._emit(None, error=error, retry_in_s=round(wait_s, 3), attempt=failures)
            await asyncio.sleep(wait_s)

    def _log_once(self, kind: str, level: int, text: str) -> None:
        self._failures[kind] = self._failures.get(kind, 0) + 1
        if self._failures[kind] == 1:
            log.log(level, "%s strap (%s): %s", self.role, self.spec.device, text)

    async def _find(self) -> Any:
        wanted = self.spec.device
        device = await BleakScanner.find_device_by_filter(
            lambda d, ad: matches(d.address, ad.local_name or d.name, wanted),
            timeout=self.spec.policy.scan_timeout_s,
            backend=self._scanner_backend,
        )
        if device is None:
            raise _StrapAway(wanted)
        return device

    async def _session(self, device: Any) -> None:
        """Connect to `device` and stream until it drops; always leaves it disconnected."""
        policy = self.spec.policy
        dropped = asyncio.Event()
        client = BleakClient(
            device,
            disconnected_callback=lambda _c: dropped.set(),
            timeout=policy.connect_timeout_s,
            backend=self._client_backend,
        )
        try:
            async with connect_lock():
                try:
                    await asyncio.wait_for(client.connect(), policy.connect_timeout_s)
                except TimeoutError:
                    raise _ConnectStalled(policy.connect_timeout_s) from None
            await self._stream(client, dropped)
        finally:
            # Also after a stalled or failed connect: a link left half-open keeps the
            # strap from advertising, so no later search would ever find it again.
            if client.is_connected:
                with contextlib.suppress(*_ATTEMPT_ERRORS):
                    await asyncio.wait_for(client.disconnect(), policy.connect_timeout_s)

    async def _stream(self, client: BleakClient, dropped: asyncio.Event) -> None:
        policy = self.spec.policy
        loop = asyncio.get_running_loop()
        name = client.name or getattr(client, "address", self.spec.device)
        self.name = name
        self._last_rx_s = loop.time()
        await client.start_notify(HEART_RATE_MEASUREMENT, self._on_hrm)
        self.connections += 1
        gap: dict[str, float] = {}
        if self._dropped_ns is not None:  # back after a drop: say how long beats were missing
            gap = {"gap_s": round((self._clock.now_ns() - self._dropped_ns) / 1e9, 3)}
            log.warning("%s strap back after %.1f s without beats", self.role, gap["gap_s"])
            self._dropped_ns = None
        self._emit(STATUS_STREAMING, name=name, address=client.address, **gap)
        if self.spec.ecg:
            await self._start_ecg(client)
        if getattr(self.spec, "acc", False):
            await self._start_acc(client)
        battery_due_s = loop.time()
        reason = "the strap disconnected"
        while not dropped.is_set():
            now_s = loop.time()
            if now_s >= battery_due_s:
                await self._read_battery(client)
                battery_due_s = now_s + policy.battery_interval_s
            silent_s = loop.time() - self._last_rx_s
            if silent_s > policy.silence_s:
                reason = f"no notification for {silent_s:.1f} s"
                break
            timeout_s = min(battery_due_s, self._last_rx_s + policy.silence_s) - loop.time()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(dropped.wait(), max(0.01, timeout_s))
        log.warning("%s strap dropped: %s; reconnecting", self.role, reason)
        self._dropped_ns = self._clock.now_ns()
        self._emit(STATUS_DISCONNECTED, reason=reason)

    async def _read_battery(self, client: BleakClient) -> None:
        """Read the battery level and report it; the report also refreshes the rate."""
        if client.services.get_characteristic(BATTERY_LEVEL) is None:
            self._emit(None)  # no battery service: still a periodic status refresh
            return
        try:
            value = await client.read_gatt_char(BATTERY_LEVEL)
        except _ATTEMPT_ERRORS as exc:
            self._log_once("battery", logging.WARNING, f"battery level not readable: {exc}")
            self._emit(None)
            return
        if len(value) >= 1 and value[0] <= 100:
            self._emit(None, battery_pct=int(value[0]))
        else:
            self._log_once("battery", logging.WARNING, f"odd battery value {bytes(value).hex()}")
            self._emit(None)

    async def _start_ecg(self, client: BleakClient) -> None:
        """Start Polar PMD ECG at 130 Hz if the strap offers it; report why not otherwise."""
        await self._start_pmd(client, pmd.START_ECG_130HZ, "ecg")

    async def _start_acc(self, client: BleakClient) -> None:
        """Start the PMD accelerometer (200 Hz, 16 bit, 8 g); report why not otherwise.

        ECG and ACC share the data characteristic (byte 0 says which). Some H10s drop
        ECG when both run (bleakheart#12): a refused or failed ACC leaves ECG and beats
        as they were, and the status's ``acc`` detail says why.
        """
        from coregulate.acquisition.pmd_acc import START_ACC_200HZ

        await self._start_pmd(client, START_ACC_200HZ, "acc")

    async def _pmd_responses(self, client: BleakClient) -> asyncio.Queue[bytes]:
        """Return this connection's PMD control responses, subscribing once per connection."""
        if self._pmd is None or self._pmd[0] is not client:
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            await client.start_notify(PMD_CONTROL, lambda _c, d: queue.put_nowait(bytes(d)))
            await client.start_notify(PMD_DATA, self._on_ecg)
            self._pmd = (client, queue)
        return self._pmd[1]

    async def _start_pmd(self, client: BleakClient, command: bytes, what: str) -> None:
        """Write one PMD start `command`; emit status detail `what` = started / why not."""
        name = what.upper()
        if client.services.get_characteristic(PMD_CONTROL) is None:
            self._log_once(f"no {what}", logging.WARNING, f"offers no Polar PMD service: no {name}")
            self._emit(None, **{what: "not offered by this strap"})
            return
        responses = await self._pmd_responses(client)
        await client.write_gatt_char(PMD_CONTROL, command, response=True)
        try:
            reply = pmd.parse_control_response(
                await asyncio.wait_for(responses.get(), self.spec.policy.connect_timeout_s)
            )
        except (TimeoutError, pmd.PmdError) as exc:
            self._log_once(what, logging.WARNING, f"{name} did not start: {exc}")
            self._emit(None, **{what: f"did not start: {exc}"})
            return
        if reply.ok:
            self._emit(None, **{what: "started"})
        else:
            self._log_once(what, logging.WARNING, f"{name} refused: {reply.error_name}")
            self._emit(None, **{what: f"refused: {reply.error_name}"})
