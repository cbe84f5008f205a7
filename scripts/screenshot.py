"""Runs a simulated session offscreen and saves screenshots of the calm and the full view.

    .venv/bin/python scripts/screenshot.py docs/images

A real session (hub, simulated straps, signal and sync stages) runs at 60x speed
for 25 simulated minutes; the window marks a few ruptures, repairs and a note on
the way, as a therapist would, and at the end both views are saved in the dark
theme and in the light theme (calm-view.png, full-view.png, calm-view-light.png,
full-view-light.png); the full view shows 30 minutes of history. The session
file goes to a temporary folder and is deleted.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path

# (session minute, marker kind, note text) made during the run.
MARKERS = (
    (7.0, "rupture-withdrawal", ""),
    (8.5, "repair", ""),
    (13.0, "note", "talked about the move"),
    (18.0, "rupture-confrontation", ""),
    (19.5, "repair", ""),
)


def main() -> None:
    """Run the session, mark it, grab both views, write the PNGs."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from coregulate.session import DemoOptions, Session
    from coregulate.ui import theme
    from coregulate.ui.live_window import LiveWindow

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--minutes", type=float, default=25.0)
    parser.add_argument("--speed", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        options = DemoOptions(
            out=Path(folder) / "screenshot.sqlite",
            duration_s=args.minutes * 60 + 30,
            speed=args.speed,
            seed=args.seed,
            client_id="C-0417",
        )
        with Session(options) as session:
            clock = session.start()
            app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
            ep = options.endpoints
            window = LiveWindow(ep.output, ep.input, options.out, clock.to_dict())
            window.resize(1280, 800)
            window.show()
            todo = list(MARKERS)
            while window.model.now_s < args.minutes * 60:
                app.processEvents()
                if todo and window.model.now_s >= todo[0][0] * 60:
                    minute, kind, text = todo.pop(0)
                    window.add_marker(kind, text, int(minute * 60e9))
                time.sleep(0.02)
            window.poll()
            shots = (
                ("calm", theme.DARK, "calm-view.png"),
                ("full", theme.DARK, "full-view.png"),
                ("calm", theme.LIGHT, "calm-view-light.png"),
                ("full", theme.LIGHT, "full-view-light.png"),
            )
            window.full.history.setCurrentIndex(2)  # 30 min: every marker of the run
            for view, look, name in shots:
                window.set_theme(look)
                window.set_view(view)
                window.redraw(force=True)
                app.processEvents()
                window.grab().save(str(args.folder / name))
                logging.getLogger(__name__).warning("saved %s", args.folder / name)
            window.close()


if __name__ == "__main__":
    main()
