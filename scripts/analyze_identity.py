"""Digests of `coregulate analyze`'s JSON and of every message the offline pipeline derives.

Two versions of the code that print the same digests gave the same analysis, bit for
bit. Inputs: pyhrv's real 1-hour NN series imported as client and therapist (the
`analyze_dyad` benchmark's input), the same with the therapist's file starting 2.5 s
later (its beats shifted onto the client's clock), and a simulated 4-person session
(`write_simulated_session(path, seed=3, duration_s=1200, n_people=4)`). Run it with
each version's sources first on the path and compare (docs/performance.md)::

    PYTHONPATH=OLD/src python scripts/analyze_identity.py --folder DIR
    PYTHONPATH=src python scripts/analyze_identity.py --folder DIR

The digests cover the analyze JSON (`--json OUT`, run in a fresh interpreter) and,
per input, the pickled result of `analyze_files` (every topic's payloads and times,
the people's summaries, the synchrony summary, every beat message as read and
shifted), sequential and parallel.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np

from coregulate.recordings.analysis import analyze_files
from coregulate.recordings.simulated_file import write_simulated_session

log = logging.getLogger("analyze_identity")
NN_FILE = Path(__file__).resolve().parent.parent / "tests/data/pyhrv/SampleNNISeriesLong.npy"


def _inputs(folder: Path) -> dict[str, list[str]]:
    """Return the analyze arguments of each input, writing the files once into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    rr = folder / "rr.txt"
    if not rr.exists():
        rr.write_text("\n".join(str(int(x)) for x in np.load(NN_FILE)) + "\n")
    # The shifted therapist: the same intervals recorded 2.5 s later (import takes the
    # file's time as the session's start), so analyze moves them onto the client's
    # clock and re-encodes every beat message (sessionfile/beats.py, as_role).
    later = folder / "rr_later.txt"
    if not later.exists():
        later.write_bytes(rr.read_bytes())
        stat = rr.stat()
        os.utime(later, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_500_000_000))
    for role, source, name in (
        ("client", rr, "client"),
        ("therapist", rr, "therapist"),
        ("therapist", later, "therapist_later"),
    ):
        path = folder / f"{name}.sqlite"
        if not path.exists():
            cmd = ["import", str(source), "--role", role, "--out", str(path)]
            subprocess.run([sys.executable, "-m", "coregulate.cli", *cmd], check=True)
    group = folder / "group4.sqlite"
    if not group.exists():
        write_simulated_session(group, seed=3, duration_s=1200.0, n_people=4)
    dyad = [
        "--client",
        str(folder / "client.sqlite"),
        "--therapist",
        str(folder / "therapist.sqlite"),
    ]
    shifted = [dyad[0], dyad[1], "--therapist", str(folder / "therapist_later.sqlite")]
    return {"dyad": dyad, "dyad_shifted": shifted, "group4": [str(group)]}


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _pipeline_digest(args: list[str], parallel: bool) -> str:
    if args[0] == "--client":
        analysis = analyze_files(client=args[1], therapist=args[3], parallel=parallel)
    else:
        analysis = analyze_files(args[0], parallel=parallel)
    result = analysis.result
    beats = {
        role: ([(m.topic, m.t_ns, m.payload) for m in b.messages], b.t_ns.tobytes())
        for role, b in analysis.people.items()
    }
    state = (result.outputs, result.output_t_ns, result.people, result.synchrony, beats)
    return _digest(pickle.dumps(state, protocol=5))


def main() -> int:
    """Print one line per input and digest."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folder", type=Path, required=True, help="where the inputs are kept")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    for name, inputs in _inputs(args.folder).items():
        out = args.folder / f"{name}.json"
        cmd = [sys.executable, "-m", "coregulate.cli", "analyze", *inputs, "--json", str(out)]
        subprocess.run(cmd, check=True, capture_output=True)
        log.info(f"{name} analyze-json {_digest(out.read_bytes())}")
        for parallel in (False, True):
            log.info(f"{name} pipeline parallel={parallel} {_pipeline_digest(inputs, parallel)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
