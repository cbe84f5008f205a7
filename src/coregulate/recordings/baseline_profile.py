"""A person's stored baseline profile, written for a later session to use.

The format is `BaselineProfile.to_json` (docs/metrics.md); `signal/` builds and reads
it but writes no files, so the one owner-only writer of `security/files.py` does it here.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from coregulate.security.files import write_private_file
from coregulate.signal.baseline import BaselineProfile


def save_baseline_profile(profile: BaselineProfile, path: str | os.PathLike[str]) -> Path:
    """Write `profile` as JSON to `path` (atomically, owner-only); return the path."""
    target = Path(path)
    write_private_file(target, json.dumps(profile.to_json(), indent=2) + "\n")
    return target
