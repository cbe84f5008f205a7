"""acc.csv: the recorded accelerometer frames decoded to mg on the session clock."""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

from coregulate.acquisition.pmd_acc import encode_acc_frame
from coregulate.recordings.export import export_csv
from coregulate.recordings.simulated_file import write_simulated_session

STRAP_T0_NS = 800_000_000_000_000_000  # the strap's own clock (ns since 2000-01-01)


def _frames() -> list[tuple[str, bytes, int]]:
    """Four 36-sample frames at 200 Hz; arrival 20-60 ms after the strap's stamp."""
    out = []
    for k in range(4):
        last_ns = STRAP_T0_NS + (36 * (k + 1) - 1) * 5_000_000
        samples = [(k, i, 1000 - i) for i in range(36)]
        arrival_ns = 10**9 + (last_ns - STRAP_T0_NS) + (20 + 10 * (k % 3)) * 10**6
        out.append(("acc.client", encode_acc_frame(last_ns, samples), arrival_ns))
    out.append(("acc.client", b"\x02\x00", 2 * 10**9))  # undecodable: skipped in the CSV
    return out


def test_acc_csv_holds_every_sample_in_mg_evenly_spaced(tmp_path: Path) -> None:
    src = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=60, extra=_frames())
    written = export_csv(src, tmp_path / "csv")
    assert tmp_path / "csv" / "acc.csv" in written
    with (tmp_path / "csv" / "acc.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 36 and {r["role"] for r in rows} == {"client"}
    assert [(int(r["x_mg"]), int(r["y_mg"]), int(r["z_mg"])) for r in rows[36:38]] == [
        (1, 0, 1000),
        (1, 1, 999),
    ]
    t_ns = [int(r["t_ns"]) for r in rows]
    assert {b - a for a, b in itertools.pairwise(t_ns)} == {5_000_000}  # no jitter
    # The clocks are tied by the least-delayed frame (20 ms): first sample at 1.02 s.
    assert t_ns[0] == 10**9 + 20 * 10**6


def test_no_acc_no_acc_csv(tmp_path: Path) -> None:
    src = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=30)
    written = export_csv(src, tmp_path / "csv")
    assert not (tmp_path / "csv" / "acc.csv").exists() and len(written) >= 3


def test_breathing_csv_holds_the_live_updates_with_the_hf_note(tmp_path: Path) -> None:
    note = "breathing outside the HF band (7/min)"
    breath = {
        "t_ns": 65 * 10**9, "breathing_rate_bpm": 7.1, "breathing_source": "acc",
        "window_s": 60.0, "movement_mg": 5.2, "moving": False, "posture_change": False,
        "hf_note": note, "flags": {"hf_power_ms2": note, "rsa_ln_ms2": note}, "unavailable": {},
    }  # fmt: skip
    extra = [*_frames(), ("breath.client", breath, 65 * 10**9)]
    src = write_simulated_session(tmp_path / "s.sqlite", seed=2, duration_s=60, extra=extra)
    written = export_csv(src, tmp_path / "csv")
    assert tmp_path / "csv" / "breathing.csv" in written
    with (tmp_path / "csv" / "breathing.csv").open() as f:
        (row,) = list(csv.DictReader(f))
    assert (row["role"], row["t_s"], row["breathing_rate_bpm"]) == ("client", "65.0", "7.1")
    assert (row["hf_note"], row["moving"]) == (note, "0")
