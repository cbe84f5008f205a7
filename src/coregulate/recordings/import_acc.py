"""Polar Sensor Logger ACC and ECG files, as the PMD frames a live H10 would have sent.

ACC: ``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]``; ECG:
``Phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uV]``. One row per sample;
rows sharing a phone timestamp arrived in one notification. Each such group becomes
one raw frame (16-bit ACC, 3-byte ECG) stamped with its last sensor timestamp (PMD's
clock), recorded on ``acc.<role>`` / ``ecg.<role>`` at its arrival, so export,
analyze and replay read an imported file exactly like a recorded one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from coregulate.acquisition.pmd import encode_ecg_frame
from coregulate.acquisition.pmd_acc import encode_acc_frame
from coregulate.bus.envelope import TOPIC_ACC, TOPIC_ECG, topic_for
from coregulate.recordings.import_text import TOO_LONG, ImportFileError, text_lines
from coregulate.recordings.importers import _parse_phone_time
from coregulate.signal.dyad import SESSION_T_LIMIT_NS

_ACC_HEADER = "phone timestamp;sensor timestamp [ns];x [mg];y [mg];z [mg]"
_ECG_HEADER = "phone timestamp;sensor timestamp [ns];timestamp [ms];ecg [uv]"
_MAX_GROUP = 200  # samples per frame at most (an H10 frame holds 36 ACC or 73 ECG)
Row = tuple[int, int, tuple[int, ...]]  # phone ns, sensor ns, the sample's values


def _numbers(p: Path, line_no: int, parts: list[str], expected: str) -> tuple[int, list[float]]:
    try:
        return int(parts[1]), [float(v) for v in parts[2:]]
    except ValueError:
        raise ImportFileError(
            f"{p}, line {line_no}: {';'.join(parts[1:])[:60]!r} are not numbers; "
            f"expected {expected}"
        ) from None


def _acc_row(p: Path, line_no: int, parts: list[str]) -> Row:
    sensor_ns, values = _numbers(p, line_no, parts, "sensor ns and x, y, z in mg")
    xyz = tuple(round(v) for v in values)
    if max(abs(v) for v in xyz) > 32767:  # int16, the H10's raw frame
        raise ImportFileError(f"{p}, line {line_no}: acceleration beyond ±32767 mg")
    return _parse_phone_time(p, line_no, parts[0]), sensor_ns, xyz


def _ecg_row(p: Path, line_no: int, parts: list[str]) -> Row:
    sensor_ns, values = _numbers(p, line_no, parts, "sensor ns, ms and the ECG in µV")
    uv = round(values[1])
    if abs(uv) > 2**23 - 1:  # 3-byte signed, the H10's raw frame
        raise ImportFileError(f"{p}, line {line_no}: ECG {uv} µV beyond a 3-byte sample")
    return _parse_phone_time(p, line_no, parts[0]), sensor_ns, (uv,)


def _groups(
    p: Path, header: str, n_fields: int, parse: Callable[[Path, int, list[str]], Row]
) -> Iterator[tuple[int, int, list[tuple[int, ...]]]]:
    """Yield (phone ns, last sensor ns, samples) per notification, in file order."""
    expected = f"a first line '{header}' then rows of {n_fields} fields"
    lines = text_lines(p, expected)  # one line at a time, bounded in length
    first = next(lines)[1]
    if first.strip().lower().rstrip(";") != header:
        raise ImportFileError(f"{p}, line 1: {first[:60]!r}; expected {expected}")
    group: tuple[int, int, list[tuple[int, ...]]] | None = None
    for line_no, raw in lines:
        parts = raw.strip().rstrip(";").split(";")
        if not raw.strip():
            continue
        if len(parts) != n_fields:
            raise ImportFileError(f"{p}, line {line_no}: {raw[:60]!r}; expected {expected}")
        phone_ns, sensor_ns, sample = parse(p, line_no, parts)
        if group is not None and phone_ns < group[0]:
            raise ImportFileError(f"{p}, line {line_no}: time earlier than the line before")
        if group is not None and phone_ns == group[0] and len(group[2]) < _MAX_GROUP:
            group[2].append(sample)
            group = (phone_ns, sensor_ns, group[2])
            continue
        if group is not None:
            yield group
        group = (phone_ns, sensor_ns, [sample])
    if group is None:
        raise ImportFileError(f"{p}: no rows after the header; expected {expected}")
    yield group


def polar_acc_messages(
    path: str | os.PathLike[str], role: str, wall_anchor_ns: int
) -> Iterator[tuple[str, bytes, int]]:
    """Yield (topic, raw ACC frame, session t_ns) per notification of a Polar Sensor Logger file.

    `wall_anchor_ns` is the session's wall-clock start (the RR file's), so the
    frames fall at the same session times as the beats they were recorded with.
    A generator: an hour of 200 Hz ACC (720,000 rows) is written as it is read,
    never held (tests/test_import_acc_memory.py). Rows past 48 h of session time
    (what a session holds) raise ImportFileError, and the import keeps nothing.
    """
    p = Path(path)
    topic = topic_for(TOPIC_ACC, role)
    for phone_ns, sensor_ns, samples in _groups(p, _ACC_HEADER, 5, _acc_row):
        t_ns = phone_ns - wall_anchor_ns
        if t_ns > SESSION_T_LIMIT_NS:
            raise ImportFileError(f"{p}: accelerometer rows past 48 h of session time: {TOO_LONG}")
        yield topic, encode_acc_frame(sensor_ns, samples), t_ns  # type: ignore[arg-type]


def polar_ecg_messages(
    path: str | os.PathLike[str], role: str, wall_anchor_ns: int
) -> list[tuple[str, bytes, int]]:
    """Return (topic, raw ECG frame, session t_ns) per notification of a Sensor Logger file."""
    topic = topic_for(TOPIC_ECG, role)
    return [
        (topic, encode_ecg_frame(sensor_ns, [s[0] for s in samples]), phone_ns - wall_anchor_ns)
        for phone_ns, sensor_ns, samples in _groups(Path(path), _ECG_HEADER, 4, _ecg_row)
    ]
