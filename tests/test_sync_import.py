"""`coregulate sync` of a file without live metrics (an import, a simulation) computes them.

Found 2026-11-30: `coregulate sync` of a simulated 15-minute dyad printed "windowed
cross-correlation not available: no window available yet" for heart rate, where
`coregulate analyze` of the same file gave 772 windows. Two causes: the synchrony
stage takes each person's `metrics.*` too, which such a file does not hold, and the
file is written one person after the other, so replayed in file order the second
person's beats all came too late for the grid. Reference: the offline pipeline
(`analyze_files`), whose updates equal the live stage's for the same beats
(docs/synchrony.md); the keys only the bus adds (`final`, `late_values`) aside, and
for the slow series only until a metrics value came late (a stage on the bus, and
this replay, leave such a value out; the whole-session path has none: docs/synchrony.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from coregulate.cli import main
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session

BUS_ONLY = ("final", "late_values")


def _by_topic_and_series(updates: list[tuple[str, dict]]) -> dict[tuple[str, str], list[dict]]:
    """Return the step updates by (topic, series), up to the first with a late value."""
    out: dict[tuple[str, str], list[dict]] = {}
    stopped = set()
    for topic, u in updates:
        key = (topic, u.get("series", ""))
        if u.get("final") or key in stopped:
            continue
        if u.get("late_values"):
            stopped.add(key)
            continue
        out.setdefault(key, []).append({k: v for k, v in u.items() if k not in BUS_ONLY})
    return out


@pytest.mark.parametrize("n_people", [2, 3])
def test_sync_of_a_simulated_file_equals_analyze(tmp_path: Path, capsys, n_people: int) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", 1, 600.0, n_people=n_people)
    out = tmp_path / "sync.json"
    assert main(["sync", str(path), "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "computed from the beats only (and the metrics: the file holds none)" in printed
    assert "no window available yet" not in printed.split("ln_rmssd")[0]
    replayed = json.loads(out.read_text())
    result = analyze_files(path, parallel=False).result
    offline = [
        (topic, json.loads(json.dumps(u)))
        for topic, updates in result.outputs.items()
        if topic.startswith("sync")
        for u in updates
    ]
    # --json holds the payloads only: pair each with its topic through the pair it names.
    topics = [
        "sync"
        if n_people == 2
        else ("sync.group" if "pair" not in u else "sync." + ".".join(u["pair"]))
        for u in replayed
    ]
    ours = _by_topic_and_series(list(zip(topics, replayed, strict=True)))
    theirs = _by_topic_and_series(offline)
    assert set(ours) == set(theirs) and len(ours) >= 3
    for key in theirs:
        n = len(ours[key])  # theirs go on past a late value of ours
        assert ours[key] == theirs[key][:n], key
        assert n == len(theirs[key]) or key[1] != "hr_bpm", key  # beats are never late
        assert n >= len(theirs[key]) // 2, key
    hr = ours[("sync", "hr_bpm")] if n_people == 2 else ours[("sync.client.partner", "hr_bpm")]
    assert sum(u["window"] is not None for u in hr) > len(hr) // 2
