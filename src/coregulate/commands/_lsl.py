"""The LSL options of `demo`, `monitor` and `replay` (docs/lsl.md), and their one check."""

from __future__ import annotations

import argparse
import logging

from coregulate.acquisition.lsl import LslOptions

log = logging.getLogger("coregulate")

LSL_STRAP_PREFIX = "lsl:"  # `monitor --client lsl:NAME`
LAB_WARNING = (
    "--lsl-lab: the session's LSL streams (heartbeats, metrics, markers) are announced "
    "to and readable by every computer on the lab network, UNENCRYPTED; use it only on a "
    "closed lab network"
)


def add_lsl_arguments(parser: argparse.ArgumentParser, markers_in: bool = False) -> None:
    """Add --lsl and --lsl-lab (and, for `monitor`, --lsl-markers NAME)."""
    parser.add_argument(
        "--lsl",
        action="store_true",
        help="publish the beats, HR, metrics, synchrony and markers as Lab Streaming Layer "
        "streams (for LabRecorder), on this computer only (docs/lsl.md); needs pylsl",
    )
    parser.add_argument(
        "--lsl-lab",
        action="store_true",
        help="let LSL streams reach (and come from) the lab network: unencrypted",
    )
    parser.add_argument(
        "--lsl-wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="with --lsl: before the session starts, wait up to SECONDS until every stream "
        "is being recorded (LabRecorder), so the recording holds the first beat",
    )
    if markers_in:
        parser.add_argument(
            "--lsl-markers",
            metavar="NAME",
            default=None,
            help="record the markers of the LSL Markers stream NAME as session markers",
        )


def wants_lsl(args: argparse.Namespace, strap_names: tuple[str, ...] = ()) -> bool:
    """Return True if the command line uses LSL at all (out, markers in or an lsl: strap)."""
    straps = any((s or "").lower().startswith(LSL_STRAP_PREFIX) for s in strap_names)
    return bool(args.lsl or getattr(args, "lsl_markers", None) or straps)


def lsl_options(args: argparse.Namespace, strap_names: tuple[str, ...] = ()) -> LslOptions | None:
    """Return the session's LslOptions (None without LSL); raise ValueError with the line to show.

    Checks here, before any process starts, that pylsl and its liblsl load, so
    `--lsl` without them is one clear line, not a failed session.
    """
    if args.lsl_lab and not wants_lsl(args, strap_names):
        raise ValueError("--lsl-lab needs --lsl, --lsl-markers or an lsl: strap")
    if not wants_lsl(args, strap_names):
        return None
    from coregulate.acquisition.lsl import LslUnavailable, load_pylsl

    try:
        load_pylsl(args.lsl_lab)
    except LslUnavailable as exc:
        raise ValueError(str(exc)) from None
    if args.lsl_lab:
        log.warning("%s", LAB_WARNING)
    markers = getattr(args, "lsl_markers", None)
    if not args.lsl and not markers:
        return None  # only lsl: straps, read in the acquisition process
    return LslOptions(
        out=bool(args.lsl),
        lab=bool(args.lsl_lab),
        markers_from=markers,
        wait_for_consumers_s=max(0.0, args.lsl_wait),
    )
