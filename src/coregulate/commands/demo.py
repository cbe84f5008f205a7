"""`coregulate demo`: a whole session with two simulated straps (or 3-6: `--people N`)."""

from __future__ import annotations

import argparse
import logging
from typing import TYPE_CHECKING

from coregulate.commands import _exit_codes as ex
from coregulate.commands._bus import add_bus_arguments, session_bus, viewer_access
from coregulate.commands._common import (
    CANCELLED,
    SIM_DURATION_HEADLESS_S,
    SIM_DURATION_WINDOW_S,
    add_command,
    add_marker_kinds_option,
    add_path_option,
    add_session_arguments,
    marker_kinds_option,
    new_session_options,
    print_summary,
    run_session,
    simulated_duration_s,
    want_headless,
    window_ok,
)
from coregulate.commands._lsl import add_lsl_arguments, lsl_options
from coregulate.commands._people_args import add_people_option, demo_people_option
from coregulate.signal.people import PeopleError, Person, default_people, keys_of

if TYPE_CHECKING:
    from coregulate.acquisition.specs import SimulatedStrapSpec

ORDER = 10
log = logging.getLogger("coregulate")


def register(sub: argparse._SubParsersAction) -> None:
    """Add the `demo` parser."""
    demo = add_command(
        sub,
        "demo",
        run,
        help="run a session with two (or --people N) simulated straps",
        description="Run a whole session (hub, straps, metrics, window) with simulated "
        "client and therapist straps, or a simulated couple or family with one or two "
        "therapists (--people 3-6). Everything is recorded to the session file.",
    )
    add_session_arguments(
        demo,
        f"session length in session seconds (default: {SIM_DURATION_HEADLESS_S:g} headless, "
        f"{SIM_DURATION_WINDOW_S:g} with a window)",
        "run X times faster than real time (default 1)",
    )
    demo.add_argument("--seed", type=int, default=1, help="simulation seed (default 1)")
    add_people_option(demo)
    add_path_option(demo, "--out", "session file to create")
    demo.add_argument(
        "--acc",
        action="store_true",
        help="also simulate the straps' accelerometers: breathing rate, movement and "
        "breathing synchrony (like monitor --acc)",
    )
    demo.add_argument(
        "--no-dialog",
        action="store_true",
        help="skip the start dialog (client id sim-client, baseline on)",
    )
    add_bus_arguments(demo)
    add_marker_kinds_option(demo)
    add_lsl_arguments(demo)


def _acc_straps(
    seed: int, duration_s: float, people: tuple[Person, ...]
) -> tuple[SimulatedStrapSpec, ...]:
    """Return the seeded demo dyad's straps, each with its simulated accelerometer."""
    from coregulate.acquisition.specs import SimulatedStrapSpec

    keys = keys_of(people or default_people())
    return tuple(SimulatedStrapSpec(k, seed, duration_s, acc=True, people=keys) for k in keys)


def run(args: argparse.Namespace) -> int:
    """Run `coregulate demo`; return the exit code."""
    try:
        people = demo_people_option(args.people)
    except PeopleError as exc:
        log.error("%s", exc)
        return ex.USAGE
    marker_kinds = marker_kinds_option(args)
    if isinstance(marker_kinds, int):
        return marker_kinds
    try:
        lsl = lsl_options(args)
    except ValueError as exc:
        log.error("%s", exc)
        return ex.USAGE
    if not args.headless and not window_ok("demo"):
        return ex.NO_DISPLAY
    headless = want_headless(args.headless)
    duration_s = simulated_duration_s(args.duration, headless)
    viewers = viewer_access(args)
    if viewers is False:
        return ex.USAGE
    # Off by default, like `monitor --acc`: the same flag means the same session, and
    # the default demo's file, CPU and recorded topics stay what they were.
    sources = _acc_straps(args.seed, duration_s, people) if args.acc else ()
    options = new_session_options(
        args,
        "demo",
        duration_s=duration_s,
        seed=args.seed,
        viewers=viewers,
        lsl=lsl,
        sources=sources,
        people=people,
    )
    if isinstance(options, int):
        return options
    with session_bus(args.tcp_bus) as endpoints:
        options.endpoints = endpoints
        code = run_session(options, headless, ask=not args.no_dialog, marker_kinds=marker_kinds)
    if code == CANCELLED:
        return ex.OK
    if code == ex.OK:
        print_summary(options.out)
    return code
