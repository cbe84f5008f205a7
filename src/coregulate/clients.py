"""Pseudonymous client ids known on this machine (a small owner-only JSON list).

Ids are pseudonyms chosen by the clinic (or generated): letters, digits, '-' and
'_' only, so a real name with spaces is refused and never enters a session file.
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path

from coregulate.security.files import make_missing_dirs, write_private_file

# The one pseudonym rule, for the client's and the therapist's ids alike: no spaces
# or dots, so a real name ("Jane Doe", "J.Doe") is refused before it reaches a file.
ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class ClientIdError(ValueError):
    """An id that is not a valid pseudonym; the text says what to do."""


def check_pseudonym(value: str, whose: str = "client") -> str:
    """Return `value` if it is a valid pseudonymous id of `whose`, else raise ClientIdError."""
    if not ID_RE.match(value):
        raise ClientIdError(
            f"{value!r} is not a pseudonymous id: use 1-32 letters, digits, '-' or '_' "
            f"(e.g. C-0417), never the {whose}'s name"
        )
    return value


def check_client_id(client_id: str) -> str:
    """Return `client_id` if it is a valid pseudonym, else raise ClientIdError."""
    return check_pseudonym(client_id, "client")


def new_client_id() -> str:
    """Return a fresh random pseudonym such as ``C-3f9a1c``."""
    return f"C-{secrets.token_hex(3)}"


def clients_file() -> Path:
    """Return the path of the known-ids list in the per-user data folder."""
    from platformdirs import user_data_path

    return user_data_path("coregulate", appauthor=False) / "clients.json"


def known_clients(path: Path | None = None) -> list[str]:
    """Return the known client ids, most recently used first ([] if none or unreadable)."""
    path = path or clients_file()
    try:
        ids = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    return [i for i in ids if isinstance(i, str) and ID_RE.match(i)]


def remember_client(client_id: str, path: Path | None = None) -> None:
    """Put `client_id` first in the known-ids list (written owner-only)."""
    path = path or clients_file()
    ids = [check_client_id(client_id)] + [i for i in known_clients(path) if i != client_id]
    make_missing_dirs(path.parent)
    write_private_file(path, json.dumps(ids[:500]))
