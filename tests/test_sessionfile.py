"""The one session reader: SessionRecord contents, markers withdrawn once, the catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from coregulate.bus.envelope import Message, make_message
from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.importers import read_rr_list
from coregulate.recordings.importing import write_import
from coregulate.recordings.pipeline import read_beats
from coregulate.recordings.salvage import salvage
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.recordings.store import SessionStore
from coregulate.review.session_data import load_session
from coregulate.sessionfile.access import SessionTail, open_readonly, read_meta
from coregulate.sessionfile.catalog import describe, find_client_sessions, list_sessions
from coregulate.sessionfile.markers import Markers
from coregulate.sessionfile.record import read_session
from coregulate.ui.markers import marker_payload, retraction_payload
from coregulate.ui.model import SessionModel
from review_support import NS, FileBuilder, session_file

SRC = Path(__file__).resolve().parents[1] / "src" / "coregulate"


def _demo(path: Path) -> Path:
    """Write a 60 s simulated dyad with two markers, one of them withdrawn, and a note."""
    a = marker_payload("repair", 10 * NS)
    b = marker_payload("rupture-withdrawal", 20 * NS, "looked away")
    extra = [
        ("marker", a, 10 * NS),
        ("marker", b, 20 * NS),
        ("marker", retraction_payload(b["id"], 25 * NS), 25 * NS),
        ("marker", marker_payload("note", 30 * NS, "plan"), 31 * NS),
    ]
    return write_simulated_session(path, seed=3, duration_s=60, extra=extra)


def test_session_record_of_a_small_demo_file(tmp_path: Path) -> None:
    path = _demo(tmp_path / "demo.sqlite")
    record = read_session(path)
    assert record.client_id == "sim-client" and record.info["mode"] == "simulated (offline)"
    assert record.wall_anchor_ns == 1_700_000_000 * NS
    assert record.derived == {"kind": "simulated", "from": "simulator, seed 3"}
    assert set(record.beats) == {"client", "therapist"}
    for role, beats in record.beats.items():
        assert beats.role == role and beats.t_ns.size == beats.rr_ms.size > 40  # about 1/s
        assert (beats.t_ns[1:] >= beats.t_ns[:-1]).all()
        assert record.status[role][0].payload["status"] == "connecting"
        assert record.devices()[role]  # each strap named itself
    # The raw notifications are not a part of the record, but they count for the extent.
    assert record.end_ns >= 59 * NS and record.lost_messages == 0
    assert [(m.kind, m.text) for m in record.markers] == [("repair", ""), ("note", "plan")]
    assert record.markers[1].t_s == 30.0  # when the key was pressed, not when sent
    assert record.metrics == {} and record.ratings == [] and record.problems == []


def test_reading_only_the_beats_reads_nothing_else(tmp_path: Path) -> None:
    path = _demo(tmp_path / "demo.sqlite")
    whole = read_session(path)
    beats = read_session(path, parts=("beats",))
    assert beats.info == {} and beats.markers == [] and beats.status == {}
    for role in ("client", "therapist"):
        assert beats.beats[role].t_ns.tolist() == whole.beats[role].t_ns.tolist()
    assert set(read_session(path, ("beats",), roles=("client",)).beats) == {"client"}
    assert read_beats(path, "therapist")["therapist"].rr_ms.tolist() == (
        whole.beats["therapist"].rr_ms.tolist()
    )
    with pytest.raises(ValueError, match="unknown session parts"):
        read_session(path, parts=("beat",))


def test_a_withdrawn_marker_is_left_out_by_every_reader_alike(tmp_path: Path) -> None:
    path = _demo(tmp_path / "demo.sqlite")
    standing = [(m.kind, m.id) for m in read_session(path).markers]
    assert len(standing) == 2
    # The review, `analyze` and the window read the same markers.
    assert [(m.kind, m.id) for m in load_session(path).markers] == standing
    assert [(m.kind, m.id) for m in analyze_files(path).markers] == standing
    model = SessionModel()
    db = open_readonly(path)
    rows = db.execute("SELECT source, seq, t_ns, payload FROM messages WHERE topic = 'marker'")
    for source, seq, t_ns, payload in rows.fetchall():
        model.ingest(Message("marker", source, seq, t_ns, bytes(payload)))
    # And so does the file's SQL view, for readers in R or pandas.
    view = db.execute("SELECT kind, id FROM markers ORDER BY t_ns").fetchall()
    db.close()
    assert [(m.kind, m.id) for m in model.visible_markers()] == standing == view


def test_a_withdrawal_may_come_before_the_marker_it_withdraws() -> None:
    markers = Markers()
    assert markers.add({"kind": "retraction", "retracts": "m1"}, 5 * NS) is None
    assert markers.add({"id": "m1", "kind": "repair", "t_ns": 4 * NS}, 6 * NS) is not None
    kept = markers.add({"kind": "note", "note": "plain form"}, 7 * NS, "import")
    assert markers.standing() == [kept] and "m1" in markers
    assert kept is not None and kept.t_s == 7.0 and kept.text == "plain form"
    with pytest.raises(ValueError):
        markers.add({"note": "no kind"}, 8 * NS)


def test_a_derived_file_is_never_counted_as_a_clients_session(tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    own = session_file(folder / "own.sqlite", client_id="c-1")
    # A replay of it: the same client, but a derived file.
    b = FileBuilder()
    clock = {"wall_anchor_ns": 1_800_000_000 * NS, "monotonic_anchor_ns": 0, "speed": 1.0}
    derived = {"kind": "replay", "from": own.name}
    b.add("session", {"clock": clock, "client_id": "c-1", "derived": derived}, 0, "session")
    b.write(folder / "replay.sqlite")
    salvage(own, folder / "salvaged.sqlite")  # a copy: derived in its metadata
    rr = tmp_path / "rr.txt"
    rr.write_text("800\n810\n790\n")
    write_import(read_rr_list(rr), folder / "imported.sqlite", rr.name, client_id="c-1")
    paths, problems = find_client_sessions("c-1", folder)
    assert paths == [own] and problems == []
    assert describe(folder / "salvaged.sqlite").derived == {"kind": "salvage", "from": own.name}
    assert describe(folder / "imported.sqlite").derived == {"kind": "import", "from": "rr.txt"}
    assert read_session(folder / "replay.sqlite").derived == derived
    # `coregulate sessions` still lists every file (its mode says what each is).
    by_client, unreadable = list_sessions(folder)
    assert len(by_client["c-1"]) == 4 and unreadable == []


def test_a_copied_session_is_still_the_clients(tmp_path: Path) -> None:
    own = session_file(tmp_path / "a.sqlite", client_id="c-1")
    shutil.copy(own, tmp_path / "b.sqlite")  # a backup copy is the same session, not derived
    assert find_client_sessions("c-1", tmp_path)[0] == [own, tmp_path / "b.sqlite"]


def test_reading_a_finished_file_leaves_nothing_beside_it(tmp_path: Path) -> None:
    path = write_simulated_session(tmp_path / "s.sqlite", seed=1, duration_s=60)
    path.chmod(0o400)  # read-only file too: nothing needs writing
    before = sorted(p.name for p in tmp_path.iterdir())
    read_session(path, {"beats", "metrics"})
    read_meta(path)
    describe(path)
    tail = SessionTail(path, ("beat.",))
    assert tail.read(10)
    tail.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no -wal, no -shm


def test_a_file_being_recorded_is_read_as_it_grows(tmp_path: Path) -> None:
    # A viewer backfills from a running session: not immutable, it sees new commits.
    path = tmp_path / "live.sqlite"
    store = SessionStore(path)

    def commit(seq: int) -> None:
        msg = make_message("marker", "ui", seq, seq, {"kind": "note", "t_ns": seq})
        store.add(msg, msg.header_bytes(), 0)
        store.commit()

    commit(1)
    tail = SessionTail(path, ("marker",))
    assert [m.seq for m in tail.read(10)] == [1]
    commit(2)
    assert [m.seq for m in tail.read(10)] == [2]
    tail.close()
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.sqlite"]
