"""The last pair of straps used on this machine, so a therapist does not retype them.

Kept in the per-user config folder (``platformdirs``), owner-only: strap addresses
are not health data, but they say which device a person wore.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

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
    return {k: v for k, v in data.items() if k in ("client", "therapist") and isinstance(v, str)}


def save_last_pair(client: str, therapist: str) -> Path:
    """Remember this pair for the next `coregulate monitor`; return the file written."""
    path = last_pair_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"client": client, "therapist": therapist}, f)
    os.replace(tmp, path)
    return path
