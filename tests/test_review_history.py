"""A client's history across session files: ORS change flags, SRS concern, CSV with units."""

from __future__ import annotations

import csv
import math
from pathlib import Path

from coregulate.cli import main
from coregulate.commands._exit_codes import BAD_INPUT
from coregulate.review.history import client_history
from coregulate.sessionfile.catalog import find_client_sessions
from review_support import NS, session_file

HOUR_NS = 3600 * NS


def _client_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "sessions"
    folder.mkdir()
    # Written out of order on purpose: the history orders by recorded start time.
    course = [  # (start hour, ORS items, SRS items, WAI-SR items)
        (2, [6.25, 6.25, 6.25, 6.25], [9, 9, 9, 9.1], None),  # ORS 25 (+5), SRS 36.1
        (0, [5, 5, 5, 5], [9, 9, 9, 9], None),  # intake ORS 20, SRS 36
        (1, [5, 5, 5, 4.9], [10, 10, 10, 10], [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]),
        (3, [3.75, 3.75, 3.75, 3.75], None, None),  # ORS 15: -5, no SRS
    ]
    for hour, ors, srs, wai in course:
        session_file(
            folder / f"h{hour}.sqlite",
            wall_anchor_ns=1_700_000_000 * NS + hour * HOUR_NS,
            ors_items=ors,
            srs_items=srs,
            wai_items=wai,
            states=hour != 3,
        )
    session_file(folder / "other.sqlite", client_id="c-2", ors_items=[1, 1, 1, 1])
    (folder / "broken.sqlite").write_bytes(b"not a database at all" * 100)
    return folder


def test_history_rows_and_flags(tmp_path: Path) -> None:
    folder = _client_folder(tmp_path)
    paths, problems = find_client_sessions("c-1", folder)
    assert sorted(p.name for p in paths) == ["h0.sqlite", "h1.sqlite", "h2.sqlite", "h3.sqlite"]
    assert len(problems) == 1 and "broken.sqlite" in problems[0]
    rows, _ = client_history(paths)
    assert [r["session_file"] for r in rows] == ["h0.sqlite", "h1.sqlite", "h2.sqlite", "h3.sqlite"]
    assert [r["session_number"] for r in rows] == [1, 2, 3, 4]
    # ORS: 20 (intake), 19.9, 25, 15 -> change 0, -0.1, +5 (reliable, crosses 25), -5.
    assert [r["ors_total_0to40"] for r in rows] == [20, 19.9, 25, 15]
    assert [r["ors_change_from_intake_points"] for r in rows] == [0, -0.1, 5, -5]
    assert [r["ors_reliable_improvement"] for r in rows] == [False, False, True, False]
    assert [r["ors_clinically_significant"] for r in rows] == [False, False, True, False]
    assert [r["ors_reliable_deterioration"] for r in rows] == [False, False, False, True]
    assert [r["ors_clinical_range"] for r in rows] == [True, True, False, True]
    # SRS 36 flags, 36.1 does not; no SRS in session 4.
    assert [r["srs_concern"] for r in rows] == [True, False, False, None]
    assert math.isnan(rows[3]["srs_total_0to40"])
    # WAI-SR hand-worked (test_alliance_scoring): task 10, bond 14, goal 9, total 33.
    assert (rows[1]["wai_sr_task_sum"], rows[1]["wai_sr_bond_sum"]) == (10, 14)
    assert (rows[1]["wai_sr_goal_sum"], rows[1]["wai_sr_total_sum"]) == (9, 33)
    # Physiology from review_support: client 60 s activated + 20 s highly of 299 s.
    assert rows[0]["client_activated_share_0to1"] == 60 / 299
    assert rows[0]["client_highly_activated_share_0to1"] == 20 / 299
    assert rows[0]["client_mean_hr_bpm"] == 70 and rows[0]["therapist_mean_ln_rmssd_ln_ms"] == 4
    assert math.isnan(rows[3]["client_mean_arousal_index_z"])  # that session had no states
    assert rows[0]["sync_hr_susy_es"] == 0.9 and rows[0]["sync_hr_median_lag_s"] == 1.0
    assert (rows[0]["ruptures_n"], rows[0]["repairs_n"], rows[0]["notes_n"]) == (1, 1, 1)


def test_history_command_csv_and_plot(tmp_path: Path, capsys, caplog) -> None:
    folder = _client_folder(tmp_path)
    out_csv, out_png = tmp_path / "h.csv", tmp_path / "h.png"
    assert (
        main(
            [
                "history",
                "c-1",
                "--folder",
                str(folder),
                "--csv",
                str(out_csv),
                "--plot",
                str(out_png),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "client c-1: 4 sessions" in printed and "SRS≤36" in printed
    assert "ORS clin. signif. change" in printed and "ORS reliable −" in printed
    assert "broken.sqlite: skipped" in caplog.text
    with out_csv.open() as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == 4
    assert table[2]["ors_change_from_intake_points"] == "5.0"
    assert table[2]["ors_reliable_improvement"] == "1"
    assert table[3]["srs_total_0to40"] == ""  # not available is an empty cell
    assert {"client_mean_hr_bpm", "sync_hr_median_lag_s", "client_gaps_s"} <= set(table[0])
    assert out_png.read_bytes()[:4] == b"\x89PNG"
    assert main(["history", "nobody", "--folder", str(folder)]) == 1
    assert "no session of client 'nobody'" in caplog.text
    assert main(["history", "c-1", "--folder", str(tmp_path / "absent")]) == BAD_INPUT
    assert main(["history", "c-1", "--folder", str(folder), "--csv", str(tmp_path / "x.xlsx")]) == 2


def test_a_client_with_only_derived_files_is_told_why_none_is_listed(tmp_path, caplog) -> None:
    """Seen 2026-11-30: only imports of a client gave "no session of client", nothing more."""
    from coregulate.recordings.importers import read_rr_list
    from coregulate.recordings.importing import write_import

    rr = tmp_path / "rr.txt"
    rr.write_text("800\n810\n790\n")
    write_import(read_rr_list(rr), tmp_path / "imported.sqlite", rr.name, client_id="c-9")
    assert main(["history", "c-9", "--folder", str(tmp_path)]) != 0
    assert "1 file(s) of this client are derived (import)" in caplog.text
    assert "coregulate report FILE" in caplog.text
