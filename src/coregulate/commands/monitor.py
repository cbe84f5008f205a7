"""`coregulate monitor`: a live session with the straps of 2-6 people (client and therapist)."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from coregulate.commands import _exit_codes as ex
from coregulate.commands._bus import add_bus_arguments, session_bus, viewer_access
from coregulate.commands._common import (
    SIM_DURATION_HEADLESS_S,
    SIM_DURATION_WINDOW_S,
    add_command,
    add_marker_kinds_option,
    add_path_option,
    add_session_arguments,
    marker_kinds_option,
    new_session_options,
    positive,
    print_summary,
    run_session,
    session_out_error,
    simulated_duration_s,
    want_headless,
    window_ok,
)
from coregulate.commands._lsl import LSL_STRAP_PREFIX, add_lsl_arguments, lsl_options
from coregulate.commands._people_args import (
    add_person_id_option,
    add_person_option,
    people_from_args,
)
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, Person, keys_of

ORDER = 15
log = logging.getLogger("coregulate")

SIM = "sim"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `monitor` parser."""
    mon = add_command(
        sub,
        "monitor",
        run,
        help="run a live session with the client's and therapist's straps",
        description="Run a live session: both people's straps (or simulated ones), the "
        "metrics and the window; everything is recorded to the session file. A strap "
        "that is out of range is waited for, and one that drops is reconnected. The pair "
        "is remembered, so next time `coregulate monitor` alone uses the same straps. "
        "Couples, families and co-therapists: --person KEY=STRAP for each of 2-6 people.",
    )
    mon.add_argument(
        "--client",
        metavar="STRAP",
        help="the client's strap: its address or name as `coregulate scan` lists it, or "
        "'sim' for a simulated strap, or lsl:NAME for the LSL stream NAME (type RR or ECG; "
        "docs/lsl.md) (default: the last pair used on this computer)",
    )
    mon.add_argument("--therapist", metavar="STRAP", help="the therapist's strap (as --client)")
    add_person_option(mon)
    add_person_id_option(mon)
    mon.add_argument(
        "--ecg", action="store_true", help="also stream ECG from straps that offer it (Polar H10)"
    )
    mon.add_argument(
        "--acc",
        action="store_true",
        help="also stream the accelerometer (Polar H10) for breathing and movement",
    )
    mon.add_argument(
        "--give-up-after",
        type=positive(int),
        default=None,
        metavar="ATTEMPTS",
        help="stop trying to reach a strap after this many failed attempts in a row "
        "(default: keep trying for the whole session)",
    )
    add_session_arguments(
        mon,
        "end the session after this long (default: until you close the window or "
        f"press Ctrl-C; simulated-only sessions: {SIM_DURATION_HEADLESS_S:g} headless, "
        f"{SIM_DURATION_WINDOW_S:g} with a window)",
        "run X times faster than real time (only when both straps are simulated)",
    )
    mon.add_argument("--seed", type=int, default=1, help="seed of simulated straps (default 1)")
    mon.add_argument("--client-id", default="client", help="pseudonymous id of the client")
    mon.add_argument("--therapist-id", default="therapist", help="pseudonymous id of the therapist")
    add_marker_kinds_option(mon)
    add_path_option(mon, "--out", "session file to create")
    add_bus_arguments(mon)
    add_lsl_arguments(mon, markers_in=True)


def _choose_pair(args: argparse.Namespace) -> tuple[str, str] | None:
    from coregulate.commands._last_pair import load_last_pair

    last = load_last_pair()
    client = args.client or last.get("client")
    therapist = args.therapist or last.get("therapist")
    if not client or not therapist:
        missing = " and ".join(
            f"--{r}" for r, v in (("client", client), ("therapist", therapist)) if not v
        )
        log.error(
            "which straps? give %s (an address or name from `coregulate scan`, or 'sim'); "
            "the pair is remembered for next time",
            missing,
        )
        return None
    if not (args.client and args.therapist):
        log.warning(
            "using the last pair on this computer: client %s, therapist %s", client, therapist
        )
    if client.lower() != SIM and client.lower() == therapist.lower():
        log.error("client and therapist cannot wear the same strap (%s)", client)
        return None
    return client, therapist


def _choose_people(args: argparse.Namespace) -> tuple[tuple[Person, ...], list[str]] | None:
    """Return the session's people (() = the dyad) and their straps, or None (said why)."""
    try:
        chosen = people_from_args(args)
    except PeopleError as exc:
        log.error("%s", exc)
        return None
    if chosen is not None:
        return chosen
    pair = _choose_pair(args)
    return None if pair is None else ((), list(pair))


def run(args: argparse.Namespace) -> int:
    """Run `coregulate monitor`; return the exit code."""
    from coregulate.commands._last_pair import save_last_pair

    chosen = _choose_people(args)
    if chosen is None:
        return ex.USAGE
    people, straps = chosen
    keys = keys_of(people) or ROLES
    pair = tuple(straps)
    out_error = session_out_error(args.out)  # before the pair is remembered
    if out_error is not None:
        return out_error
    marker_kinds = marker_kinds_option(args)
    if isinstance(marker_kinds, int):
        return marker_kinds
    if not _ids_ok(args):
        return ex.USAGE
    try:
        lsl = lsl_options(args, pair)
    except ValueError as exc:
        log.error("%s", exc)
        return ex.USAGE
    if not args.headless and not window_ok("monitor"):
        return ex.NO_DISPLAY
    headless = want_headless(args.headless)
    all_sim = all(p.lower() == SIM for p in pair)
    sim_duration_s = simulated_duration_s(args.duration, headless)
    specs = _strap_specs(args, keys, pair, sim_duration_s)
    if isinstance(specs, int):
        return specs
    viewers = viewer_access(args)
    if viewers is False:
        return ex.USAGE
    if not people:  # a group's straps are not "the pair" of the next `monitor`
        save_last_pair(*pair)
    options = new_session_options(
        args,
        "session",
        duration_s=sim_duration_s,
        seed=args.seed,
        sources=tuple(specs),
        mode="live" if not all_sim else "live (simulated straps)",
        client_id=args.client_id,
        therapist_id=args.therapist_id,
        # Simulated straps end at their duration themselves, however late they started
        # (a loaded machine); a wall limit would end the session before they streamed.
        stop_after_s=None if all_sim else args.duration,
        viewers=viewers,
        lsl=lsl,
        people=people,
    )
    if isinstance(options, int):
        return options
    with session_bus(args.tcp_bus) as endpoints:
        options.endpoints = endpoints
        code = run_session(options, headless, marker_kinds=marker_kinds)
    if code == ex.OK:
        print_summary(options.out)
    return code


def _strap_specs(
    args: argparse.Namespace, keys: tuple[str, ...], straps: tuple[str, ...], sim_duration_s: float
) -> list[Any] | int:
    """Return every person's strap spec, or the exit code (said why) if they cannot run."""
    from coregulate.acquisition.specs import BleStrapSpec

    if args.speed != 1.0 and not all(p.lower() == SIM for p in straps):
        every = "both straps" if len(straps) == len(ROLES) else "every strap"
        log.error("--speed needs %s simulated: real straps run in real time", every)
        return ex.USAGE
    specs = [
        _strap_spec(args, key, device, sim_duration_s, keys)
        for key, device in zip(keys, straps, strict=True)
    ]
    if any(isinstance(s, BleStrapSpec) for s in specs) and not _bluetooth_ok():
        return ex.NO_BLUETOOTH
    return specs


def _strap_spec(
    args: argparse.Namespace,
    role: str,
    device: str,
    sim_duration_s: float,
    keys: tuple[str, ...] = ROLES,
) -> Any:
    """Return the spec of `role`'s strap: simulated, an LSL stream (lsl:NAME) or BLE.

    `keys`: the session's people, whose demo group a simulated strap comes from.
    """
    from coregulate.acquisition.specs import (
        BleStrapSpec,
        LslStrapSpec,
        ReconnectPolicy,
        SimulatedStrapSpec,
    )

    if device.lower() == SIM:
        return SimulatedStrapSpec(role, args.seed, sim_duration_s, acc=args.acc, people=keys)
    if device.lower().startswith(LSL_STRAP_PREFIX):
        return LslStrapSpec(role, device[len(LSL_STRAP_PREFIX) :], lab=args.lsl_lab)
    policy = ReconnectPolicy(max_attempts=args.give_up_after)
    return BleStrapSpec(role, device, ecg=args.ecg, acc=args.acc, policy=policy)


def _ids_ok(args: argparse.Namespace) -> bool:
    """Return True if both pseudonymous ids are ones the start dialog accepts; else say why."""
    from coregulate.clients import ClientIdError, check_pseudonym

    for whose in ROLES:
        try:
            check_pseudonym(getattr(args, f"{whose}_id"), whose)
        except ClientIdError as exc:
            log.error("--%s-id: %s", whose, exc)
            return False
    return True


def _bluetooth_ok() -> bool:
    """Return True if Bluetooth is usable; otherwise say why and what to do."""
    import asyncio

    from coregulate.acquisition.ble import BluetoothUnavailableError
    from coregulate.acquisition.ble_scan import check_bluetooth

    try:
        asyncio.run(check_bluetooth())
    except BluetoothUnavailableError as exc:
        log.error("%s (or use 'sim' for a simulated strap)", exc)
        return False
    return True
