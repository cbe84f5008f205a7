"""`coregulate watch`: follow a session from another machine, encrypted, in a terminal.

It connects to a hub's CURVE viewer output (`coregulate demo --viewers ...`) with
this machine's key pair and the hub's public key, and prints both people's latest
heart rate and RMSSD once a second. A key the therapist has not allowed receives
nothing at all (that is the point), not even the hub's status each second, so
after a few quiet seconds it says in one line what to check and exits FAILED.
"""

from __future__ import annotations

import argparse
import logging
import math
import time

from coregulate.commands import _exit_codes as ex
from coregulate.commands._common import add_command, add_viewer_key_options, positive

ORDER = 45
log = logging.getLogger("coregulate")
QUIET_HINT_S = 5.0


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `watch` parser."""
    watch = add_command(
        sub,
        "watch",
        run,
        help="follow a session from another machine (encrypted, allow-listed key)",
        description="Connect to a session's viewer output over CurveZMQ and print both "
        "people's heart rate and RMSSD once a second. Needs a key pair on this machine "
        "(`coregulate keys create viewer`) that the therapist has allowed, and the "
        "hub's public key (docs/security.md).",
    )
    watch.add_argument("endpoint", help="the viewer output, e.g. tcp://192.0.2.10:5603")
    watch.add_argument(
        "--hub-key",
        required=True,
        metavar="KEY",
        help="the hub's public key, written --hub-key='KEY' (quotes: Z85 has shell "
        "characters; '=': a key may begin with '-')",
    )
    add_viewer_key_options(watch)
    watch.add_argument("--seconds", type=positive(float), default=None, help="stop after this long")


def run(args: argparse.Namespace) -> int:
    """Run `coregulate watch`; return the exit code."""
    from coregulate.bus.endpoints import EndpointError, is_loopback
    from coregulate.bus.subscriber import BusSubscriber, CurveClientKeys
    from coregulate.security.keys import KeyStore, KeyStoreError, fingerprint, parse_public_key

    try:
        is_loopback(args.endpoint)  # parses it
        hub_key = parse_public_key(args.hub_key)
        pair = KeyStore(args.dir).load(args.key)
    except (EndpointError, KeyStoreError) as exc:
        log.error("%s", exc)
        return ex.USAGE
    assert pair.secret_key is not None
    print(f"hub key fingerprint:  {fingerprint(hub_key)} (compare with the therapist's)")  # noqa: T201
    print(f"your key fingerprint: {pair.fingerprint}")  # noqa: T201
    sub = BusSubscriber(
        args.endpoint,
        ("metrics.", "status."),
        curve=CurveClientKeys(hub_key, pair.public_key, pair.secret_key),
    )
    latest: dict[str, dict] = {}
    started = last_data = time.monotonic()
    next_line = started + 1.0
    received = hinted = False
    try:
        while args.seconds is None or time.monotonic() - started < args.seconds:
            msg = sub.recv(timeout_ms=100)
            now = time.monotonic()
            if msg is not None:
                last_data, received = now, True
                if msg.topic.startswith("metrics.") and msg.role:
                    latest[msg.role] = {"t_ns": msg.t_ns, **msg.json_object()}
            if not received and now - started > QUIET_HINT_S:
                break  # the hub says status.hub every second: silence means refused
            if now >= next_line:
                next_line = now + 1.0
                if latest:
                    print(_line(latest, sub.lost), flush=True)  # noqa: T201
                if now - last_data > QUIET_HINT_S and not hinted:
                    hinted = True
                    print(  # noqa: T201
                        f"no data for {QUIET_HINT_S:g} s: the session may have ended",
                        flush=True,
                    )
    except KeyboardInterrupt:
        pass
    finally:
        sub.close()
    if not received:
        # A refused key or a wrong hub key gets nothing at all (CURVE says no more).
        log.error(
            "received nothing in %.0f s: check the address, that the session was started "
            "with --viewers, and that the therapist allowed your key (fingerprint %s) and "
            "gave you the right hub key",
            time.monotonic() - started,
            pair.fingerprint,
        )
        return ex.FAILED
    return ex.OK


def _show(value: object) -> str:
    if isinstance(value, int | float) and math.isfinite(value):
        return f"{value:.0f}"
    return "–"


def _line(latest: dict[str, dict], lost: int) -> str:
    t_ns = max(m["t_ns"] for m in latest.values())
    minutes, seconds = divmod(int(t_ns / 1e9), 60)
    people = " · ".join(
        f"{role} HR {_show(m.get('hr_bpm'))} bpm RMSSD {_show(m.get('rmssd_ms'))} ms"
        for role, m in sorted(latest.items())
    )
    return f"{minutes:02d}:{seconds:02d}  {people}" + (f" · {lost} missed" if lost else "")
