"""Reads RR data people already have into `Notification`s: plain RR lists, Polar, XDF.

Each reader returns an `ImportedRecording`: per role, the RR intervals grouped as
the device delivered them (one group per notification or sample) with the arrival
time where the file has one, a wall-clock anchor and the device's name.
`coregulate.recordings.importing` turns that into a session file.

Bad input raises `ImportFileError` naming the file, the line (or stream) and what
was expected. Accepted RR values are 0 < RR <= 3000 ms.
"""

from __future__ import annotations

import math
import os
import re
from array import array
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from coregulate.recordings.import_text import (
    TOO_LONG,
    ImportFileError,
    check_count,
    text_lines,
)
from coregulate.signal.artifacts import MAX_RR_MS  # slower than 20 bpm is no heartbeat
from coregulate.signal.dyad import SESSION_T_LIMIT_NS

SECONDS_MEDIAN_BELOW = 10.0  # a list whose median is below this is in seconds, not ms


@dataclass
class Notification:
    """RR intervals delivered together, oldest first; arrival on the file's clock if known."""

    rr_ms: list[float]
    arrival_ns: int | None = None  # ns since the recording's wall anchor
    # Beats already on the session clock (R peaks of an imported ECG): written as they are.
    t_ns: list[int] | None = None
    gap_before: bool = False


@dataclass
class ImportedRecording:
    """What one import file holds, per role."""

    format: str
    wall_anchor_ns: int
    device: dict[str, str] = field(default_factory=dict)  # role -> device/stream name
    notifications: dict[str, list[Notification]] = field(default_factory=dict)
    # role -> (ns since the wall anchor, HR bpm): HR-only files (no beats)
    hr_samples: dict[str, list[tuple[int, float]]] = field(default_factory=dict)


def _check_rr(where: str, rr_ms: float, shown: str) -> float:
    """Return `rr_ms` if it is a heartbeat interval, else raise naming `where` (file, line)."""
    return _check_positive(where, rr_ms, MAX_RR_MS, f"RR {shown} is not a heartbeat interval", "ms")


def _check_positive(where: str, value: float, maximum: float, what: str, unit: str) -> float:
    """Return `value` if it is finite, above 0 and at most `maximum`, else raise ImportFileError."""
    if not math.isfinite(value) or not 0 < value <= maximum:
        raise ImportFileError(
            f"{where}: {what}; expected more than 0 and at most {maximum:g} {unit}"
        )
    return value


_RR_EXPECTED = "one RR interval per line (ms, or s if all are below 10)"


def read_rr_list(path: str | os.PathLike[str], role: str = "client") -> ImportedRecording:
    """Return the beats of a one-RR-per-line file (Kubios, Elite HRV, HRV Logger exports).

    Blank lines and lines starting with ``#`` are skipped, and so is a first line of
    words (a column title). Values are ms, or seconds when their median is below 10.
    There are no timestamps: beats follow one another from time 0, and the session
    anchor is the file's modification time. The file is read line by line into an
    array of numbers; one longer than a session (48 h) is refused.
    """
    p = Path(path)
    values = array("d")
    line_nos = array("q")
    total_ms = 0.0
    for line_no, raw in text_lines(p, _RR_EXPECTED):
        text = raw.strip().rstrip(",;").strip()
        if not text or text.startswith("#"):
            continue
        try:
            values.append(float(text.replace(",", ".")))
        except ValueError:
            if not values and re.fullmatch(r"[A-Za-z][\w \[\]()/.-]*", text):
                continue  # a title line such as "RR (ms)"
            raise ImportFileError(
                f"{p}, line {line_no}: {text[:40]!r} is not a number; expected {_RR_EXPECTED}"
            ) from None
        line_nos.append(line_no)
        check_count(p, len(values))
        # Read as ms (the smaller of the two units) the beats so far already last longer
        # than a session: refuse now rather than at the end of a huge file.
        total_ms += max(values[-1], 0.0)
        if total_ms * 1e6 > SESSION_T_LIMIT_NS:
            raise ImportFileError(f"{p}: by line {line_no} its beats last {TOO_LONG}")
    if not values:
        raise ImportFileError(f"{p}: no RR values found; expected {_RR_EXPECTED}")
    scale = 1000.0 if sorted(values)[len(values) // 2] < SECONDS_MEDIAN_BELOW else 1.0
    unit = " s" if scale > 1 else " ms"
    rr = [
        _check_rr(f"{p}, line {n}", v * scale, f"{v:g}{unit}")
        for n, v in zip(line_nos, values, strict=True)
    ]
    if math.fsum(rr) * 1e6 > SESSION_T_LIMIT_NS:
        raise ImportFileError(f"{p}: its beats last {math.fsum(rr) / 3.6e6:.1f} h, {TOO_LONG}")
    anchor = int(p.stat().st_mtime * 1e9) - int(sum(rr) * 1e6)
    return ImportedRecording(
        format="rr-list",
        wall_anchor_ns=anchor,
        device={role: p.name},
        notifications={role: [Notification(rr)]},
    )


_POLAR_RR_HEADER = "phone timestamp;rr-interval [ms]"


def _parse_phone_time(p: Path, line_no: int, text: str) -> int:
    try:
        stamp = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ImportFileError(
            f"{p}, line {line_no}: {text[:40]!r} is not a timestamp; expected an ISO time "
            "such as 2024-04-24T14:10:16.752"
        ) from None
    return round(stamp.timestamp() * 1e6) * 1000


def _phone_row(p: Path, line_no: int, parts: list[str], what: str, unit: str) -> tuple[int, float]:
    """Return a Polar Sensor Logger row's phone time in ns and the number after it."""
    t_ns = _parse_phone_time(p, line_no, parts[0])
    try:
        return t_ns, float(parts[1])
    except ValueError:
        raise ImportFileError(
            f"{p}, line {line_no}: {what} {parts[1][:20]!r} is not a number; expected {unit}"
        ) from None


def _check_time_order(p: Path, line_no: int, t_ns: int, last_ns: int | None, shown: str) -> None:
    """Raise ImportFileError if a row's time `shown` comes before the previous row's."""
    if last_ns is not None and t_ns < last_ns:
        raise ImportFileError(
            f"{p}, line {line_no}: time {shown} is earlier than the line "
            "before; expected times in increasing order"
        )


def read_polar_rr(path: str | os.PathLike[str], role: str = "client") -> ImportedRecording:
    """Return the beats of a Polar Sensor Logger RR file (``Phone timestamp;RR-interval [ms]``).

    Rows with the same phone timestamp came in one notification; the phone
    timestamp is its arrival, so the beats are placed exactly as a live strap's.
    The phone's time is local time as written (no zone in the file).
    """
    p = Path(path)
    expected = f"a first line '{_POLAR_RR_HEADER}' then rows 'time;RR'"
    lines = text_lines(p, expected)
    first = next(lines)[1]
    if first.strip().lower().rstrip(";") != _POLAR_RR_HEADER:
        raise ImportFileError(f"{p}, line 1: {first[:60]!r}; expected {expected}")
    groups: list[Notification] = []
    first_ns: int | None = None
    last_ns: int | None = None
    for line_no, raw in lines:
        if not raw.strip():
            continue
        check_count(p, line_no)
        parts = raw.strip().rstrip(";").split(";")
        if len(parts) != 2:
            raise ImportFileError(f"{p}, line {line_no}: {raw[:60]!r}; expected 'time;RR'")
        t_ns, rr = _phone_row(p, line_no, parts, "RR", "ms")
        _check_rr(f"{p}, line {line_no}", rr, f"{parts[1].strip()} ms")
        _check_time_order(p, line_no, t_ns, last_ns, parts[0].strip())
        first_ns = t_ns if first_ns is None else first_ns
        if t_ns == last_ns:
            groups[-1].rr_ms.append(rr)
        else:
            groups.append(Notification([rr], t_ns))
        last_ns = t_ns
    if first_ns is None:
        raise ImportFileError(f"{p}: no rows after the header; expected {expected}")
    anchor = first_ns - 2 * 10**9  # a little before the first arrival: its beats lie before it
    for g in groups:
        g.arrival_ns = int(g.arrival_ns) - anchor  # type: ignore[arg-type]
    return ImportedRecording("polar-sensor-logger-rr", anchor, {role: p.name}, {role: groups})


_POLAR_HR_HEADER = "phone timestamp;hr [bpm]"
MAX_HR_BPM = 300.0


def read_polar_hr(path: str | os.PathLike[str], role: str = "client") -> ImportedRecording:
    """Return the HR samples of a Polar Sensor Logger HR file (``Phone timestamp;HR [bpm];...``).

    An HR file has no beats, so it gives HR only: `analyze` reports its mean HR and
    no RMSSD or synchrony. Import the sibling RR file for beat-level analyses.
    """
    p = Path(path)
    expected = f"a first line starting '{_POLAR_HR_HEADER}' then rows 'time;HR;...'"
    lines = text_lines(p, expected)
    first = next(lines)[1]
    if not first.strip().lower().startswith(_POLAR_HR_HEADER):
        raise ImportFileError(f"{p}, line 1: {first[:60]!r}; expected {expected}")
    samples: list[tuple[int, float]] = []
    for line_no, raw in lines:
        if not raw.strip():
            continue
        check_count(p, line_no)
        parts = raw.strip().split(";")
        if len(parts) < 2:
            raise ImportFileError(f"{p}, line {line_no}: {raw[:60]!r}; expected 'time;HR;...'")
        t_ns, hr = _phone_row(p, line_no, parts, "HR", "bpm")
        shown = f"HR {parts[1].strip()} bpm is not a heart rate"
        _check_positive(f"{p}, line {line_no}", hr, MAX_HR_BPM, shown, "bpm")
        _check_time_order(p, line_no, t_ns, samples[-1][0] if samples else None, parts[0].strip())
        samples.append((t_ns, hr))
    if not samples:
        raise ImportFileError(f"{p}: no rows after the header; expected {expected}")
    anchor = samples[0][0] - 2 * 10**9
    return ImportedRecording(
        "polar-sensor-logger-hr",
        anchor,
        {role: p.name},
        {},
        {role: [(t - anchor, hr) for t, hr in samples]},
    )


def read_xdf(
    path: str | os.PathLike[str], streams: dict[str, str] | None = None
) -> ImportedRecording:
    """Return the beats of RR streams in an XDF file (LabRecorder, Polar→LSL bridges).

    Parameters
    ----------
    streams
        role -> stream name. Without it, a file with exactly one RR stream gives the
        client's beats. An RR stream is one of type ``RR`` or ``IBI`` (any case), or
        whose name ends in ``RR``; each sample is one interval (ms, or s if the median
        is below 10) ending at the sample's time stamp.
    """
    p = Path(path)
    data, header = _load_xdf(p)
    found = _xdf_rr_streams(data)
    if streams is None:
        if len(found) != 1:
            raise ImportFileError(
                f"{p}: {len(found)} RR streams ({', '.join(sorted(found)) or 'none'}); expected "
                "one, or name them with --client-stream and --therapist-stream"
            )
        streams = {"client": next(iter(found))}
    out = ImportedRecording("xdf", 0)
    # Session time 0 lies 2 s before the first sample of any chosen stream.
    firsts = [float(found[n]["time_stamps"][0]) for n in streams.values() if _has_samples(found, n)]
    t0 = min(firsts) if firsts else 0.0
    for role, name in streams.items():
        out.notifications[role] = _xdf_beats(p, found, name, t0)
        out.device[role] = name
    out.wall_anchor_ns = _xdf_wall_anchor(header) - 2 * 10**9
    return out


def _load_xdf(p: Path) -> tuple[list[dict], dict]:
    """Return pyxdf's (streams, file header) for an XDF file, or raise ImportFileError."""
    try:
        with p.open("rb") as f:  # 4 bytes, not the whole (possibly GB-sized) file
            head = f.read(4)
    except OSError as exc:
        raise ImportFileError(f"{p}: cannot read it ({exc.strerror})") from exc
    if head != b"XDF:":
        raise ImportFileError(f"{p}: not an XDF file (it does not start with 'XDF:')")
    import pyxdf

    try:
        return pyxdf.load_xdf(str(p))
    except Exception as exc:  # pyxdf raises many kinds for a damaged file
        raise ImportFileError(f"{p}: the XDF file cannot be read ({exc})") from exc


def _xdf_rr_streams(data: list[dict]) -> dict[str, dict]:
    """Return the RR streams by name: type RR or IBI (any case), or a name ending in RR."""
    found: dict[str, dict] = {}
    for stream in data:
        info = stream["info"]
        name = str(info["name"][0])
        kind = str(info["type"][0]).lower()
        if kind in ("rr", "ibi") or name.lower().endswith("rr"):
            found[name] = stream
    return found


def _xdf_beats(p: Path, found: dict[str, dict], name: str, t0: float) -> list[Notification]:
    """Return one RR stream's samples as one-beat notifications on the session clock."""
    if name not in found:
        raise ImportFileError(
            f"{p}: no RR stream named {name!r}; it has {', '.join(sorted(found)) or 'none'}"
        )
    values = [float(v[0]) for v in found[name]["time_series"]]
    stamps = [float(t) for t in found[name]["time_stamps"]]
    if not values:
        raise ImportFileError(f"{p}, stream {name!r}: no samples; expected RR intervals")
    scale = 1000.0 if sorted(values)[len(values) // 2] < SECONDS_MEDIAN_BELOW else 1.0
    groups = []
    for i, (v, t) in enumerate(zip(values, stamps, strict=True), start=1):
        rr = _check_rr(f"{p}, stream {name!r}, sample {i}", v * scale, f"{v:g}")
        groups.append(Notification([rr], round((t - t0 + 2.0) * 1e9)))
    return groups


def _has_samples(found: dict[str, dict], name: str) -> bool:
    return name in found and len(found[name]["time_stamps"]) > 0


def _xdf_wall_anchor(header: dict) -> int:
    """Return the calendar time of the recording's start from the XDF file header, or 0."""
    try:
        stamp = str(header["info"]["datetime"][0])
        return int(datetime.fromisoformat(stamp).timestamp() * 1e9)
    except (KeyError, IndexError, TypeError, ValueError):
        return 0


FORMATS = ("rr", "polar", "polar-hr", "xdf")


def detect_format(path: str | os.PathLike[str]) -> str:
    """Return the import format of a file from its first bytes."""
    p = Path(path)
    try:
        with p.open("rb") as f:
            head = f.read(64)
    except OSError as exc:
        raise ImportFileError(f"{p}: cannot read it ({exc.strerror})") from exc
    if head.startswith(b"XDF:"):
        return "xdf"
    text = head.lstrip(b"\xef\xbb\xbf").lower()
    if text.startswith(b"phone timestamp;rr"):
        return "polar"
    if text.startswith(b"phone timestamp;hr"):
        return "polar-hr"
    return "rr"
