"""Polar Sensor Logger accelerometer files, as the PMD frames a live H10 would have sent.

The file (``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]``) has one row
per sample; rows sharing a phone timestamp arrived in one notification. Each such
group becomes one raw 16-bit ACC frame stamped with its last sensor timestamp
(PMD's clock), recorded on ``acc.<role>`` at its arrival, so export, analyze and
replay read an imported file exactly like a recorded one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from coregulate.acquisition.pmd_acc import encode_acc_frame
from coregulate.bus.envelope import TOPIC_ACC, topic_for
from coregulate.recordings.importers import ImportFileError, _parse_phone_time, _text_lines

_HEADER = "phone timestamp;sensor timestamp [ns];x [mg];y [mg];z [mg]"
_EXPECTED = f"a first line '{_HEADER}' then rows 'time;ns;x;y;z'"
_MAX_MG = 32767  # int16, the H10's raw frame


def _row(p: Path, line_no: int, parts: list[str]) -> tuple[int, int, tuple[int, int, int]]:
    if len(parts) != 5:
        raise ImportFileError(
            f"{p}, line {line_no}: {';'.join(parts)[:60]!r}; expected {_EXPECTED}"
        )
    phone_ns = _parse_phone_time(p, line_no, parts[0])
    try:
        sensor_ns = int(parts[1])
        x, y, z = (round(float(v)) for v in parts[2:])
    except ValueError:
        raise ImportFileError(
            f"{p}, line {line_no}: {';'.join(parts[1:])[:60]!r} are not numbers; "
            "expected sensor ns and x, y, z in mg"
        ) from None
    if max(abs(x), abs(y), abs(z)) > _MAX_MG:
        raise ImportFileError(f"{p}, line {line_no}: acceleration beyond ±{_MAX_MG} mg")
    return phone_ns, sensor_ns, (x, y, z)


def _groups(p: Path) -> Iterator[tuple[int, int, list[tuple[int, int, int]]]]:
    """Yield (phone ns, last sensor ns, samples) per notification, in file order."""
    lines = _text_lines(p, _EXPECTED)
    if lines[0].strip().lower().rstrip(";") != _HEADER:
        raise ImportFileError(f"{p}, line 1: {lines[0][:60]!r}; expected {_EXPECTED}")
    group: tuple[int, int, list[tuple[int, int, int]]] | None = None
    for line_no, raw in enumerate(lines[1:], start=2):
        if not raw.strip():
            continue
        phone_ns, sensor_ns, xyz = _row(p, line_no, raw.strip().rstrip(";").split(";"))
        if group is not None and phone_ns < group[0]:
            raise ImportFileError(f"{p}, line {line_no}: time earlier than the line before")
        if group is not None and phone_ns == group[0] and len(group[2]) < 200:
            group = (phone_ns, sensor_ns, [*group[2], xyz])
            continue
        if group is not None:
            yield group
        group = (phone_ns, sensor_ns, [xyz])
    if group is None:
        raise ImportFileError(f"{p}: no rows after the header; expected {_EXPECTED}")
    yield group


def polar_acc_messages(
    path: str | os.PathLike[str], role: str, wall_anchor_ns: int
) -> list[tuple[str, bytes, int]]:
    """Return (topic, raw ACC frame, session t_ns) per notification of a Polar Sensor Logger file.

    `wall_anchor_ns` is the session's wall-clock start (the RR file's), so the
    frames fall at the same session times as the beats they were recorded with.
    """
    topic = topic_for(TOPIC_ACC, role)
    return [
        (topic, encode_acc_frame(sensor_ns, samples), phone_ns - wall_anchor_ns)
        for phone_ns, sensor_ns, samples in _groups(Path(path))
    ]
