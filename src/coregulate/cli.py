"""The `coregulate` command: parses arguments and runs a subcommand module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import coregulate
from coregulate.commands import command_modules


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the `coregulate` command."""
    parser = argparse.ArgumentParser(
        prog="coregulate",
        description="Real-time physiological co-regulation monitor for therapy sessions.",
    )
    parser.add_argument("--version", action="version", version=coregulate.__version__)
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in command_modules():
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `coregulate` command line; return the exit code."""
    args = build_parser().parse_args(argv)
    args.log_level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=args.log_level, format="%(levelname)s %(message)s")
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
