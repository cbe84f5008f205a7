"""Marker kinds are declared once (sessionfile.markers); the window and the palette cover each."""

from __future__ import annotations

import time

import pytest

from coregulate.palette import MARKER_CATEGORY_COLOURS, MARKER_COLOURS
from coregulate.sessionfile.markers import MARKER_CATEGORIES, MARKER_KINDS, kind_category
from coregulate.ui.markers import BY_KIND, KIND_KEYS, MarkerKindsError, load_marker_kinds

pytest.importorskip("pytestqt")

from PySide6 import QtCore, QtWidgets

from coregulate.bus.producer import BusProducer
from coregulate.bus.subscriber import BusSubscriber
from coregulate.sessionfile.access import read_messages
from coregulate.sessionfile.record import read_session
from coregulate.ui.live_window import LiveWindow
from coregulate.ui.synthetic import synthetic_session


def test_every_kind_has_a_colour_and_a_key() -> None:
    assert set(MARKER_COLOURS) == set(MARKER_KINDS)
    assert set(KIND_KEYS) == set(MARKER_KINDS)
    assert len(set(KIND_KEYS.values())) == len(MARKER_KINDS)  # one key makes one kind
    assert tuple(BY_KIND) == MARKER_KINDS  # the marker bar's order


def test_every_kind_falls_in_a_category_with_a_colour() -> None:
    assert set(MARKER_CATEGORY_COLOURS) == set(MARKER_CATEGORIES)
    assert {kind_category(k) for k in MARKER_KINDS} == set(MARKER_CATEGORIES)
    assert kind_category("rupture (withdrawal)") == "rupture"  # a kind written otherwise


# -- a clinic's own marker kinds, from a TOML file -------------------------------------

CLINIC_KINDS = """
[[kind]]
kind = "rupture-withdrawal"
key = "W"

[[kind]]
kind = "repair"
key = "R"
label = "Repair (named)"

[[kind]]
kind = "self-disclosure"
key = "d"
label = "Therapist self-disclosure"
colour = "#aa4499"
"""


def test_a_kinds_file_is_read_with_defaults_for_the_known_kinds(tmp_path) -> None:
    path = tmp_path / "markers.toml"
    path.write_text(CLINIC_KINDS)
    kinds = load_marker_kinds(path)
    assert [(k.kind, k.key) for k in kinds] == [
        ("rupture-withdrawal", "W"),
        ("repair", "R"),
        ("self-disclosure", "D"),
    ]
    assert kinds[0] == BY_KIND["rupture-withdrawal"]  # label and colour kept
    assert kinds[1].label == "Repair (named)" and kinds[1].colour == BY_KIND["repair"].colour
    assert kinds[2].colour == "#AA4499" and kinds[2].letter == "D"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[[kind]\nkind=", "not valid TOML"),
        ("title = 'x'", "no [[kind]] tables"),
        (
            '[[kind]]\nkind = "Self Disclosure"\nkey = "D"\nlabel = "x"\ncolour = "#000000"',
            "'kind'",
        ),
        ('[[kind]]\nkind = "x"\nkey = "Ctrl+D"\nlabel = "x"\ncolour = "#000000"', "'key'"),
        ('[[kind]]\nkind = "x"\nkey = "D"\nlabel = "x"', "'colour'"),
        ('[[kind]]\nkind = "x"\nkey = "D"\nlabel = "x"\ncolour = "red"', "'colour'"),
        ('[[kind]]\nkind = "x"\nkey = "D"\ncolour = "#000000"', "'label'"),
        ('[[kind]]\nkind = "x"\nkey = "D"\nlabel = "x"\ncolour = "#000000"\nshape = 1', "shape"),
        ('[[kind]]\nkind = "note"\nkey = "N"\n[[kind]]\nkind = "repair"\nkey = "n"', "key 'N'"),
        ('[[kind]]\nkind = "retraction"\nkey = "X"\nlabel = "x"\ncolour = "#000000"', "'kind'"),
    ],
)
def test_a_bad_kinds_file_is_refused_with_one_clear_line(tmp_path, text, says) -> None:
    path = tmp_path / "markers.toml"
    path.write_text(text)
    with pytest.raises(MarkerKindsError) as err:
        load_marker_kinds(path)
    message = str(err.value)
    assert says in message and "\n" not in message and str(path) in message


def test_a_missing_kinds_file_says_so(tmp_path) -> None:
    with pytest.raises(MarkerKindsError, match="cannot read it"):
        load_marker_kinds(tmp_path / "absent.toml")


def test_a_custom_kind_from_toml_is_recorded_and_shown(qtbot, hub_thread, tmp_path) -> None:
    path = tmp_path / "markers.toml"
    path.write_text(CLINIC_KINDS)
    kinds = load_marker_kinds(path)
    hub_thread.start()
    ep = hub_thread.endpoints
    window = LiveWindow(
        ep.output, ep.input, hub_thread.path, poll_ms=20, redraw_ms=50, marker_kinds=kinds
    )
    qtbot.addWidget(window)
    window.show()
    listener = BusSubscriber(ep.output, ("marker",))
    producer = BusProducer(ep.input, "signal")
    time.sleep(0.3)
    for m in synthetic_session(120, seed=2):
        producer.send(m.topic, m.json(), m.t_ns)
    producer.pump()
    qtbot.waitUntil(lambda: window.model.now_s >= 120, timeout=10_000)
    # The bar offers exactly the file's kinds; C is no longer a marker key.
    assert list(window.marker_bar.buttons) == ["rupture-withdrawal", "repair", "self-disclosure"]
    assert "[D]" in window.marker_bar.buttons["self-disclosure"].text()
    window.activateWindow()
    window.setFocus()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is window)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_C)
    qtbot.keyClick(window, QtCore.Qt.Key.Key_D)
    got = listener.recv(timeout_ms=5000)
    assert got is not None and got.source.startswith("ui-")
    body = got.json()
    assert body["kind"] == "self-disclosure"
    # Shown on every timeline of both views, in the file's colour, with its letter.
    for view in ("calm", "full"):
        window.set_view(view)
        layer = window.calm.marker_layer if view == "calm" else window.full.marker_layer
        lines = layer.lines[body["id"]]
        assert len(lines) == len(layer.plots) and len(lines) > 0
        assert lines[0].pen.color().name().upper() == "#AA4499"
        assert lines[0].label.format.startswith("D")
    window.close()  # flushes the producer: the hub has committed the marker
    recorded = [m.json() for m in read_messages(hub_thread.path, ("marker",))]
    assert [(m["id"], m["kind"]) for m in recorded] == [(body["id"], "self-disclosure")]
    # A reader of the file sees it as a marker of its own kind.
    assert [m.kind for m in read_session(hub_thread.path, ("markers",)).markers] == [
        "self-disclosure"
    ]
    producer.flush(5)
    producer.close()
    listener.close()


# -- the session's own window takes the file too (demo, monitor) ---------------------


@pytest.mark.parametrize("command", ["demo", "monitor"])
def test_demo_and_monitor_refuse_a_bad_kinds_file_before_anything_starts(
    tmp_path, caplog, command
) -> None:
    from coregulate.cli import main
    from coregulate.commands._exit_codes import USAGE

    bad = tmp_path / "markers.toml"
    bad.write_text('[[kind]]\nkind = "Bad Name"\nkey = "D"\n')
    out = tmp_path / "s.sqlite"
    args = [command, "--headless", "--marker-kinds", str(bad), "--out", str(out)]
    if command == "monitor":
        args += ["--client", "sim", "--therapist", "sim"]
    assert main(args) == USAGE
    assert "markers.toml: kind 1: 'kind' must be a lower-case name" in caplog.text
    assert not out.exists()  # nothing started, nothing created


def test_the_session_window_is_built_with_the_files_kinds(qtbot, tmp_path) -> None:
    from types import SimpleNamespace

    from coregulate.clock import SessionClock
    from coregulate.commands._common import marker_kinds_option
    from coregulate.ui.app import _live_window

    path = tmp_path / "markers.toml"
    path.write_text(CLINIC_KINDS)
    kinds = marker_kinds_option(SimpleNamespace(marker_kinds=path))
    assert [k.kind for k in kinds] == ["rupture-withdrawal", "repair", "self-disclosure"]
    options = SimpleNamespace(
        endpoints=SimpleNamespace(output="tcp://127.0.0.1:9", input="tcp://127.0.0.1:9"),
        out=tmp_path / "absent.sqlite",
        client_id="C-1",
    )
    window = _live_window(options, SessionClock.start(), kinds)
    qtbot.addWidget(window)
    assert list(window.marker_bar.buttons) == ["rupture-withdrawal", "repair", "self-disclosure"]
    assert window.can_end
    window.end_without_asking()
