"""Renders the window's gallery: every state a therapist meets, both themes, two sizes.

    .venv/bin/python scripts/screenshot.py [docs/images]

One 50-minute session story drawn from synthetic bus messages shaped like the
signal and sync stages' (`coregulate.ui.synthetic`, plus the "no signal" updates
and strap statuses the stages and straps publish), so that each state can be shown
on demand: the baseline countdown, settled, activated, highly activated, no signal
(the client's strap loses skin contact), a strap reconnecting (the therapist's),
an off-scale peak held at the edge, and the review window at a rupture marker.
Each in the dark and the light theme at 1280x800 and 1920x1080, into
``FOLDER/gallery/<state>-<theme>-<w>x<h>.png``; and the README's own images
(calm-view*.png, full-view*.png, review-window.png) from the same story. The
values are plausible, not anyone's physiology. Nothing is written anywhere else
(the review's session file is a temporary one).

Sessions of three and four people (issue 19), from `coregulate.ui.synthetic_group`
(the partners and the two therapists coupled, the others not; a rupture between
the partners marked with their names): ``FOLDER/group-<n>-<view>[-<variant>].png``
at 1280x800. ``--only group`` renders just these; ``--recording FILE`` (repeatable)
takes them from recorded sessions instead (e.g. ``coregulate demo --headless
--people 4 --out FILE``), each shown a minute before its end.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

NS = 1_000_000_000
STORY_S = 3000
SIZES = ((1280, 800), (1920, 1080))
# (session s, kind, text): what a therapist marked in the story.
MARKERS = (
    (700, "note", "talked about the move"),
    (1440, "rupture-withdrawal", ""),
    (1620, "repair", ""),
    (2480, "rupture-confrontation", ""),
    (2700, "repair", ""),
)
CONTACT_LOST = (900, 930)  # the client's strap off the skin (synthetic_session's gap)
RECONNECTING = (2000, 2045)  # the therapist's strap drops and is brought back
PEAK_FROM = 3.0  # arousal index above which the story's peaks are rescaled...
PEAKS = {"metrics.client": 5.9, "metrics.therapist": 5.5}  # ...to end just past +5
CHANCE_R = 0.42  # the story's chance band: peak |r| of unrelated stretches, 95th percentile


@dataclass(frozen=True)
class Scene:
    """One state of the gallery: its file name, the session time shown and the view."""

    name: str
    t_s: float
    view: str = "calm"


SCENES = (
    Scene("baseline-countdown", 100),
    Scene("settled", 600),
    Scene("activated", 0),  # times found in the story (`state_scenes`)
    Scene("highly-activated", 0),
    Scene("no-signal", 917),
    Scene("strap-reconnecting", 2027),
    Scene("off-scale", 1560),
)
HELD_S = 15  # a state scene shows the client in the state this long, the therapist settled
REVIEW_AT_S = 1440  # the withdrawal rupture: the review centres it
README_SHOTS_AT_S = 1700  # calm-view.png and full-view.png (30 min of history)

log = logging.getLogger("screenshot")


def story() -> list:
    """Return the session's messages in time order (see the module docstring)."""
    from coregulate.bus.envelope import make_message
    from coregulate.ui.markers import marker_payload
    from coregulate.ui.synthetic import synthetic_session

    seqs: dict[tuple[str, str], int] = {}

    def msg(topic: str, source: str, t_s: float, payload: dict):
        seqs[(source, topic)] = seqs.get((source, topic), 0) + 1
        return make_message(topic, source, seqs[(source, topic)], int(t_s * NS), payload)

    out = [msg("session", "session", 0, {"client_id": "C-0417", "clock": _clock()})]
    lo, hi = RECONNECTING
    synthetic = list(synthetic_session(STORY_S, seed=1))
    peaks = {
        topic: max(m.json().get("arousal_index") or 0.0 for m in synthetic if m.topic == topic)
        for topic in PEAKS
    }
    for m in synthetic:
        t_s, body = m.t_ns / NS, m.json()
        if m.topic == "metrics.therapist" and lo <= t_s < hi:
            continue  # no beats while the strap is away
        if m.topic.startswith("metrics.") and (body.get("arousal_index") or 0) > PEAK_FROM:
            # Each person's peaks end just past the scale, whatever the synthetic
            # story's own height: the off-scale scene needs them there.
            stretch = (PEAKS[m.topic] - PEAK_FROM) / (peaks[m.topic] - PEAK_FROM)
            body["arousal_index"] = PEAK_FROM + (body["arousal_index"] - PEAK_FROM) * stretch
        if m.topic == "sync" and any(a < t_s and t_s - 30 < b for _, (a, b) in _silences()):
            # The synchrony stage has no window while someone's beats are missing.
            body = {**body, "window": None, "unavailable": {"window": "beats missing"}}
        elif m.topic == "sync":
            # The chance band the synchrony stage gives each window (docs/synchrony.md).
            r = body["window"]["peak_r"]
            body["window"] |= {"chance_abs_r95": CHANCE_R, "above_chance": abs(r) > CHANCE_R}
        out.append(msg(m.topic, m.source, t_s, body))
    last = {role: _last_before(out, role, start) for role, (start, _) in _silences()}
    for role, (_, end) in _silences():
        last_s = last[role]["t_ns"] // NS
        for t_s in range(last_s + 5, end, 5):  # what the signal stage says every 5 s
            out.append(msg(f"metrics.{role}", "signal", t_s, _no_signal(t_s, last[role])))
    for t_s, word in ((lo, "disconnected"), (lo + 2, "reconnecting"), (hi, "streaming")):
        out.append(msg("status.therapist", "acq", t_s, {"status": word, "name": "Polar H10"}))
    for t_s, kind, text in MARKERS:
        out.append(msg("marker", "ui-gallery", t_s, marker_payload(kind, t_s * NS, text)))
    return sorted(out, key=lambda m: m.t_ns)


def _clock() -> dict:
    return {"monotonic_anchor_ns": 0, "wall_anchor_ns": 1_700_000_000 * NS, "speed": 1.0}


def _silences() -> tuple[tuple[str, tuple[int, int]], ...]:
    return (("client", CONTACT_LOST), ("therapist", RECONNECTING))


def _last_before(messages: list, role: str, t_s: int) -> dict:
    return [m for m in messages if m.topic == f"metrics.{role}" and m.t_ns < t_s * NS][-1].json()


def _no_signal(t_s: int, last: dict) -> dict:
    """A "no signal" metrics update (docs/protocol.md) after the person's last beat."""
    from coregulate.signal import catalogue

    since_ns = last["t_ns"]
    reason = f"no signal since {since_ns // NS // 60}:{since_ns // NS % 60:02d}"
    payload = {**last, "t_ns": t_s * NS, "state": None, "state_since_ns": None}
    for m in catalogue.metrics():
        payload[m.name] = None
    payload["unavailable"] = {m.name: reason for m in catalogue.metrics()} | {"state": reason}
    payload["no_signal_since_ns"] = since_ns
    return payload


def state_scenes(messages: list) -> tuple[Scene, ...]:
    """Return `SCENES` with the state scenes at the first moment the story shows them.

    Found, not fixed: the synthetic story's states follow the signal package's
    thresholds, which may change; the picture must still show the state it is named for.
    """
    words: dict[str, dict[int, str | None]] = {"client": {}, "therapist": {}}
    for m in messages:
        if m.topic.startswith("metrics."):
            words[m.topic.split(".")[1]][m.t_ns // NS] = m.json().get("state")
    out = []
    for scene in SCENES:
        if scene.t_s:
            out.append(scene)
            continue
        state = scene.name.replace("-", " ")
        t_s = next(
            t
            for t in sorted(words["client"])
            if all(words["client"].get(t - k) == state for k in range(HELD_S))
            and words["therapist"].get(t) == "settled"
        )
        out.append(Scene(scene.name, float(t_s), scene.view))
    return tuple(out)


def show(window, messages: list, t_s: float) -> None:
    """Put the window's model at session time `t_s` of the story and redraw."""
    model = window.model
    model.__init__()  # the views keep their reference to this model
    for m in messages:
        if m.t_ns > t_s * NS:
            break
        model.ingest(m)
    model.now_s = t_s
    window.calm.sync_strip.invalidate()
    window.calm_group.sync_strip.invalidate()
    window.redraw(force=True)


def grab(app, window, path: Path) -> None:
    """Let Qt lay out and paint, then save the window as a PNG."""
    for _ in range(3):
        app.processEvents()
    window.redraw(force=True)
    app.processEvents()
    window.grab().save(str(path))
    log.info("saved %s", path)


def live_shots(app, messages: list, folder: Path) -> None:
    """Every live state, both themes, both sizes; then the README's live images."""
    from coregulate.ui import theme
    from coregulate.ui.live_window import LiveWindow

    gallery = folder / "gallery"
    gallery.mkdir(parents=True, exist_ok=True)
    # A marker input that is never used: the marker bar looks as in a session.
    window = LiveWindow(None, "tcp://127.0.0.1:9", title="coregulate — session with C-0417")
    window.show()
    for w, h in SIZES:
        window.resize(w, h)
        for look in (theme.DARK, theme.LIGHT):
            window.set_theme(look)
            for scene in state_scenes(messages):
                window.set_view(scene.view)
                show(window, messages, scene.t_s)
                grab(app, window, gallery / f"{scene.name}-{look.name}-{w}x{h}.png")
    window.resize(1280, 800)
    window.full.history.setCurrentIndex(2)  # 30 min: every marker up to then
    for look, suffix in ((theme.DARK, ""), (theme.LIGHT, "-light")):
        window.set_theme(look)
        for view in ("calm", "full"):
            window.set_view(view)
            show(window, messages, README_SHOTS_AT_S)
            grab(app, window, folder / f"{view}-view{suffix}.png")
    window.end_without_asking()


def review_shots(app, messages: list, folder: Path) -> None:
    """The review window at the withdrawal rupture, with a review note, both themes and sizes."""
    from coregulate.recordings.store import SessionStore
    from coregulate.ui import theme
    from coregulate.ui.review_window import ReviewWindow

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "story.sqlite"
        store = SessionStore(path)
        for i, m in enumerate(messages):
            store.add(m, m.header_bytes(), i)
        store.close()
        window = ReviewWindow(path, author="supervisor", view="full")
        window.show()
        window.seek((REVIEW_AT_S - 50) * NS)
        window.add_note("client goes quiet; HR already rising before the rupture was marked")
        window.seek(0)
        window.next_marker()  # the note at 700 s
        window.next_marker()  # the review note
        window.next_marker()  # the withdrawal rupture
        for w, h in SIZES:
            window.resize(w, h)
            for look in (theme.DARK, theme.LIGHT):
                window.set_theme(look)
                grab(app, window, folder / "gallery" / f"review-at-marker-{look.name}-{w}x{h}.png")
        window.resize(1400, 900)
        window.set_theme(theme.DARK)
        grab(app, window, folder / "review-window.png")
        window.close()


# (session s, kind, who): the group story's markers, naming whom they are about.
GROUP_MARKERS = (
    (700, "note", ()),
    (1500, "rupture-confrontation", ("client", "partner")),
    (1620, "repair", ("client", "partner")),
)
GROUP_SHOT_AT_S = 1700


def group_story(n: int) -> list:
    """Return an `n`-person session's messages (synthetic_group) with its markers."""
    from coregulate.bus.envelope import make_message
    from coregulate.ui.markers import marker_payload
    from coregulate.ui.synthetic_group import GroupStory, synthetic_group_session

    session = {"client_id": "C-0417", "clock": _clock()}
    out = list(synthetic_group_session(1800, GroupStory.demo(n), seed=n, session=session))
    for seq, (t_s, kind, who) in enumerate(GROUP_MARKERS, start=1):
        payload = marker_payload(kind, t_s * NS, "", who=list(who))
        out.append(make_message("marker", "ui-gallery", seq, t_s * NS, payload))
    return sorted(out, key=lambda m: m.t_ns)


def recorded_story(path: Path) -> tuple[int, list, float]:
    """Return a recorded session's people count, its window messages and a time to show (s):
    a minute before its end, while the straps still stream."""
    from coregulate.sessionfile.access import read_messages
    from coregulate.signal.people import people_from_session
    from coregulate.ui.feed import UI_TOPICS

    messages = sorted(read_messages(path, UI_TOPICS), key=lambda m: m.t_ns)
    session = next((m.json() for m in messages if m.topic == "session"), {})
    return len(people_from_session(session)), messages, max(0.0, messages[-1].t_ns / NS - 60)


def group_shots(app, folder: Path, recordings: list[Path] | None = None) -> None:
    """The calm and full views of 3- and 4-person sessions, and the therapists hidden.

    From the synthetic group story, or from recorded sessions (`--recording FILE`,
    e.g. `coregulate demo --headless --people 4 --out FILE`), a minute before their end.
    """
    from coregulate.ui import theme
    from coregulate.ui.live_window import LiveWindow

    folder.mkdir(parents=True, exist_ok=True)
    stories = [recorded_story(p) for p in recordings or []]
    for n, messages, at_s in stories or [(n, group_story(n), GROUP_SHOT_AT_S) for n in (3, 4)]:
        window = LiveWindow(None, "tcp://127.0.0.1:9", title="coregulate — session with C-0417")
        window.show()
        window.full.history.setCurrentIndex(2)  # 30 min
        shots = [("calm", theme.DARK, False, ""), ("full", theme.DARK, False, "")]
        if n == 4:
            shots += [("calm", theme.LIGHT, False, "-light"), ("calm", theme.DARK, True, "-hidden")]
        for view, look, hide, suffix in shots:
            window.set_theme(look)
            window.set_hide_therapists(hide)
            show(window, messages, at_s)
            window.set_view(view)
            grab(app, window, folder / f"group-{n}-{view}{suffix}.png")
        window.end_without_asking()


def main() -> None:
    """Build the story, render every shot, write the PNGs."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path, nargs="?", default=Path("docs/images"))
    parser.add_argument("--only", choices=("group",), help="render only these shots")
    parser.add_argument(
        "--recording",
        type=Path,
        action="append",
        help="the group shots from this recorded 3-6 person session instead (repeatable)",
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    group_shots(app, args.folder, args.recording)
    if args.only == "group":
        return
    messages = story()
    live_shots(app, messages, args.folder)
    review_shots(app, messages, args.folder)


if __name__ == "__main__":
    main()
