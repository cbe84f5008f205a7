"""The last pair of straps used on this machine, so a therapist does not retype them.

Kept in the per-user config folder (``platformdirs``), owner-only: strap addresses
are not health data, but they say which device a person wore.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from coregulate.security.files import make_missing_dirs, write_private_file
from coregulate.signal.dyad import ROLES

log = logging.getLogger(__name__)


def last_pair_path() -> Path:
    """Return the file that remembers the last client and therapist straps."""
    from platformdirs import user_config_path

    return user_config_path("coregulate", appauthor=False) / "last-straps.json"


def load_last_pair() -> dict[str, str]:
    """Return ``{"client": ..., "therapist": ...}`` as last used, or {} if none is known."""
    path = last_pair_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("ignored %s (%s); give --client and --therapist", path, exc)
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if k in ROLES and isinstance(v, str)}


def save_last_pair(client: str, therapist: str) -> Path:
    """Remember this pair for the next `coregulate monitor`; return the file written."""
    path = last_pair_path()
    make_missing_dirs(path.parent)
    write_private_file(path, json.dumps({"client": client, "therapist": therapist}))
    return path
