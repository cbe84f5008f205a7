"""Several people's RR files imported into one session: `import --person KEY=FILE ...`.

Each file holds one person's beats (an RR list, a Polar Sensor Logger RR or HR
file) and is read as that person's (`formats.read_import`). Files with arrival
times (Polar) are placed on calendar time: the session starts at the earliest
file's anchor and every other file's times move by the difference of the anchors,
as `analyze --client A --therapist B` aligns two files. A plain RR list has no
times at all: its beats start at session start. The session message names the
people (`signal/people.py`) unless they are the client and the therapist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from coregulate.recordings.importers import ImportedRecording, ImportFileError, Notification
from coregulate.signal.dyad import ROLES
from coregulate.signal.people import PeopleError, Person, check_people, make_person


def parse_people(
    specs: Sequence[str], id_specs: Sequence[str] = (), default_ids: Mapping[str, str] = {}
) -> tuple[tuple[Person, ...], dict[str, Path]]:
    """Return the people of `--person KEY=FILE` options and their files.

    A person's id is `--id KEY=ID`'s, else `default_ids[KEY]`, else ``unknown``.

    Raises PeopleError saying what to change (a spec without `=`, a bad or repeated
    key, an id for nobody, fewer than two or more than six people).
    """
    files: dict[str, Path] = {}
    for spec in specs:
        key, sep, file = spec.partition("=")
        if not sep or not key or not file:
            raise PeopleError(f"--person {spec!r}: use KEY=FILE, e.g. --person partner=B.txt")
        if key in files:
            raise PeopleError(f"--person {key} is given twice")
        files[make_person(key).key] = Path(file)
    if set(files) == set(ROLES):  # the client and the therapist: the dyad, in its order
        files = {role: files[role] for role in ROLES}
    ids: dict[str, str] = {}
    for spec in id_specs:
        key, sep, pid = spec.partition("=")
        if not sep or key not in files or not pid:
            raise PeopleError(f"--id {spec!r}: use KEY=ID for a KEY given with --person")
        ids[key] = pid
    people = check_people(
        [make_person(key, ids.get(key) or default_ids.get(key) or "unknown") for key in files]
    )
    return people, files


def merge_recordings(parts: Mapping[str, ImportedRecording]) -> ImportedRecording:
    """Return one recording of every person's (key -> that person's file's recording).

    Raises ImportFileError when a file holds another person than the one named.
    """
    timed = [
        r.wall_anchor_ns
        for r in parts.values()
        if any(n.arrival_ns is not None for notes in r.notifications.values() for n in notes)
        or r.hr_samples
    ]
    anchor = min(timed) if timed else next(iter(parts.values())).wall_anchor_ns
    formats = sorted({r.format for r in parts.values()})
    out = ImportedRecording(format="+".join(formats), wall_anchor_ns=anchor)
    for key, rec in parts.items():
        roles = {*rec.notifications, *rec.hr_samples}
        if roles != {key}:
            raise ImportFileError(f"the file given for {key} holds {sorted(roles) or 'nobody'}")
        shift = rec.wall_anchor_ns - anchor
        out.device[key] = rec.device.get(key, key)
        if key in rec.notifications:
            out.notifications[key] = [
                Notification(n.rr_ms, None if n.arrival_ns is None else n.arrival_ns + shift)
                for n in rec.notifications[key]
            ]
        if key in rec.hr_samples:
            out.hr_samples[key] = [(t + shift, hr) for t, hr in rec.hr_samples[key]]
    return out
