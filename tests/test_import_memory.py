"""Importing a huge RR file stays in bounded memory (issue 15 item 11).

Before: a 10-million-line RR list took 3.3 GB (every line, then every beat, held as
Python objects several times over). A session holds at most 48 h of session time
(`SESSION_T_LIMIT_NS`), so a longer file is refused in one line as soon as that is
clear, reading it line by line; a file within the limit is read without keeping its
lines.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from coregulate.cli import main
from coregulate.recordings.import_text import MAX_IMPORT_VALUES
from coregulate.recordings.importers import ImportFileError, read_rr_list
from coregulate.sessionfile.record import read_session


def _peak_mib(fn) -> tuple[object, float]:
    tracemalloc.start()
    try:
        result = fn()
    except ImportFileError as exc:
        result = exc
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return result, peak


def test_a_huge_rr_list_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """2 million lines (the 10-million-line file of the issue, scaled down for speed)."""
    path = tmp_path / "huge.txt"
    path.write_bytes(b"800\n" * 2_000_000)
    result, peak = _peak_mib(lambda: read_rr_list(path))
    assert isinstance(result, ImportFileError)
    assert "48 h" in str(result) and "split" in str(result)
    assert peak < 40, f"{peak:.0f} MiB held to refuse it"


def test_a_day_of_beats_imports_in_bounded_memory(tmp_path: Path) -> None:
    """24 h at 75 bpm (108,000 beats) is accepted; the reader holds ~numbers, not lines."""
    n = 108_000
    path = tmp_path / "day.txt"
    path.write_text("RR (ms)\n" + "".join(f"{800 + (k % 5)}\n" for k in range(n)))
    recording, peak = _peak_mib(lambda: read_rr_list(path))
    assert not isinstance(recording, ImportFileError)
    assert sum(len(x.rr_ms) for x in recording.notifications["client"]) == n
    assert peak < 20, f"{peak:.0f} MiB to read {n} RR values"


def test_longer_than_a_session_is_refused_by_the_command(tmp_path: Path, caplog) -> None:
    path = tmp_path / "long.txt"
    path.write_bytes(b"1000\n" * (48 * 3600 + 10))  # 48 h and 10 s of 60 bpm
    out = tmp_path / "s.sqlite"
    assert main(["import", str(path), "--out", str(out)]) == 66
    assert "48 h" in caplog.text
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["long.txt"]


def test_the_value_cap_is_48_hours_at_300_bpm() -> None:
    assert MAX_IMPORT_VALUES == 48 * 3600 * 5


@pytest.mark.parametrize("rows", [10, 5000])
def test_a_streamed_import_equals_the_values(tmp_path: Path, rows: int) -> None:
    path = tmp_path / "rr.txt"
    values = [700 + (k * 37) % 300 for k in range(rows)]
    path.write_text("\n".join(map(str, values)) + "\n")
    out = tmp_path / "s.sqlite"
    assert main(["import", str(path), "--out", str(out)]) == 0
    beats = read_session(out).beats["client"]
    assert list(beats.rr_ms) == [float(v) for v in values]
