"""Writes the one-page report of a simulated four-person session (the image in docs/images).

    .venv/bin/python scripts/group_report_image.py OUT.png [--minutes 40] [--seed 1]

The demo group of four (client, partner, therapist, co-therapist; the therapist
leads the client by 2 s, the co-therapist leads the partner by 3 s, the other pairs
independent) with a rupture naming both partners and a repair, analysed as
`coregulate analyze FILE --report OUT.png` does.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from pathlib import Path

from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session
from coregulate.review.from_analysis import session_from_analysis
from coregulate.review.report import write_report


def main() -> None:
    """Simulate, analyse and draw the group's report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("png", type=Path)
    parser.add_argument("--minutes", type=float, default=40.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rupture = {"kind": "rupture-withdrawal", "who": ["client", "partner"], "text": "silence"}
    repair = {"kind": "repair", "who": ["client", "partner"], "text": "named it"}
    extra = [("marker", rupture, 14 * 60 * 10**9), ("marker", repair, 17 * 60 * 10**9)]
    with tempfile.TemporaryDirectory() as tmp:
        path = write_simulated_session(
            Path(tmp) / "group.sqlite", args.seed, args.minutes * 60, extra, n_people=4
        )
        write_report(session_from_analysis(analyze_files(path)), args.png)
    logging.getLogger(__name__).info("wrote %s", args.png)


if __name__ == "__main__":
    main()
