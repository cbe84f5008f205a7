"""Runs a simulated session offscreen and saves a screenshot of the live window.

    .venv/bin/python scripts/screenshot.py docs/images/demo-window.png

The session runs at 60x speed for 15 simulated minutes; the session file goes to a
temporary folder and is deleted afterwards.
"""

from __future__ import annotations

import argparse
import logging
import os
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Run the session, grab the window, write the PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from coregulate.session import DemoOptions, Session
    from coregulate.ui.live_window import LiveWindow

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("png", type=Path)
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--speed", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        options = DemoOptions(
            out=Path(folder) / "screenshot.sqlite",
            duration_s=args.minutes * 60,
            speed=args.speed,
            seed=1,
        )
        with Session(options) as session:
            session.start()
            app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
            window = LiveWindow(options.endpoints.output)
            window.show()
            end = time.monotonic() + args.minutes * 60 / args.speed + 1.0
            while time.monotonic() < end:
                app.processEvents()
                time.sleep(0.02)
            window.poll()
            window.redraw()
            app.processEvents()
            args.png.parent.mkdir(parents=True, exist_ok=True)
            window.grab().save(str(args.png))
            window.close()
    logging.getLogger(__name__).warning("saved %s", args.png)


if __name__ == "__main__":
    main()
