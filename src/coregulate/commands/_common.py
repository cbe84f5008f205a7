"""Helpers shared by the command modules."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path


def sessions_folder() -> Path:
    """Return the per-user folder where sessions are written by default."""
    from platformdirs import user_data_path

    return user_data_path("coregulate", appauthor=False) / "sessions"


def default_session_path(prefix: str) -> Path:
    """Return a new session file path in the per-user data directory (owner-only)."""
    from coregulate.security.files import private_dir

    # The name holds the kind of session and the time only: never an id or a name.
    folder = private_dir(sessions_folder())
    stamp = time.strftime("%Y%m%d-%H%M%S")
    return folder / f"{prefix}-{stamp}.sqlite"


def positive(kind: type) -> Callable[[str], object]:
    """Return an argparse type that accepts numbers of `kind` greater than 0."""

    def parse(text: str) -> object:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
        return value

    return parse
