"""Saves a screenshot of the review window on a recorded session, offscreen.

    .venv/bin/python scripts/review_screenshot.py SESSION_FILE OUT.png [--at-min 9.5]

The window is shown in its full view at the given session minute, with one review
note added to a temporary copy of the recording's review file (the original
recording and its review file are not touched).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path


def main() -> None:
    """Open the window, seek, add a note, grab, write the PNG."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtWidgets

    from coregulate.ui.review_window import ReviewWindow

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("session", type=Path)
    parser.add_argument("png", type=Path)
    parser.add_argument("--at-min", type=float, default=9.5)
    args = parser.parse_args()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / args.session.name
        shutil.copy(args.session, copy)
        window = ReviewWindow(copy, author="trainee", view="full")
        window.resize(1400, 900)
        window.show()
        window.seek(int(7.4 * 60e9))
        window.add_note("client goes quiet here; HR rising before the rupture was marked")
        window.seek(int(args.at_min * 60e9))
        for _ in range(10):
            app.processEvents()
        window.redraw(force=True)
        app.processEvents()
        window.grab().save(str(args.png))
        window.close()


if __name__ == "__main__":
    main()
