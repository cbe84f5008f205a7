"""Runs simulated sessions and adds ratings and markers through the bus, as a clinic would.

    .venv/bin/python scripts/simulated_sessions.py OUT_DIR [--sessions 6] [--duration 1200]

Each session is a whole demo session (hub, simulated straps, metrics, synchrony) at
60x speed; while it runs, this script sends an ORS at the start, rupture and repair
markers around the simulator's two arousal episodes, an SRS at the end and a WAI-SR
every fourth session, all through the hub like the window does. The files are
session-01.sqlite, session-02.sqlite, ... in OUT_DIR (one pseudonymous client), ready
for `coregulate report` and `coregulate history`.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

# One client's course: ORS rises from the clinical range, one SRS flags a concern.
ORS_ITEMS = [
    [4.1, 5.0, 4.6, 4.3],
    [4.8, 5.2, 5.9, 5.1],
    [6.0, 5.6, 6.3, 5.9],
    [6.4, 6.1, 6.9, 6.6],
    [6.9, 7.2, 7.0, 6.8],
    [7.3, 7.0, 7.6, 7.4],
]
SRS_ITEMS = [
    [9.1, 8.9, 9.3, 9.2],
    [8.2, 8.8, 8.5, 8.6],
    [9.4, 9.2, 9.0, 9.3],
    [9.6, 9.5, 9.4, 9.7],
    [9.2, 9.6, 9.5, 9.4],
    [9.8, 9.6, 9.7, 9.8],
]
WAI_ITEMS = [4, 4, 5, 4, 4, 3, 5, 4, 5, 4, 3, 4]
# (fraction of the session, kind, note): around the simulator's arousal episodes,
# which start at 0.35 and 0.65 of the session (acquisition.simulator.demo_config).
MARKERS = [
    (0.36, "rupture-withdrawal", None),
    (0.45, "repair", None),
    (0.66, "rupture-confrontation", None),
    (0.74, "repair", None),
    (0.88, "note", "homework agreed"),
]


def run_one(out: Path, number: int, duration_s: float, speed: float) -> None:
    """Run session `number` (1-based) into `out` with its ratings and markers."""
    from coregulate.alliance import score
    from coregulate.alliance.instruments import ORS, SRS, WAI_SR
    from coregulate.alliance.rating import rating_payload
    from coregulate.alliance.schedule import forms_due
    from coregulate.bus.producer import BusProducer
    from coregulate.session import DemoOptions, Session
    from coregulate.ui.markers import marker_payload

    k = (number - 1) % len(ORS_ITEMS)
    plan: list[tuple[float, str, dict]] = []
    ors = score(ORS, ORS_ITEMS[k])
    plan.append((20.0, "rating", rating_payload(ors, "client", "start", 0, number)))
    for frac, kind, note in MARKERS:
        plan.append((frac * duration_s, "marker", {"kind": kind, "text": note}))
    end_t = duration_s - 15.0
    for inst in forms_due("end", number):
        items = {"SRS": SRS_ITEMS[k], "WAI-SR": WAI_ITEMS}[inst.name]
        result = score({"SRS": SRS, "WAI-SR": WAI_SR}[inst.name], items)
        plan.append((end_t, "rating", rating_payload(result, "client", "end", 0, number)))
    plan.sort(key=lambda p: p[0])
    options = DemoOptions(out=out, duration_s=duration_s, speed=speed, seed=number)
    with Session(options) as session:
        clock = session.start()
        producer = BusProducer(options.endpoints.input, "ui-script")
        while session.acquisition_running():
            now = clock.now_ns()
            while plan and plan[0][0] * 1e9 <= now:
                _, topic, payload = plan.pop(0)
                if topic == "rating":
                    payload = {**payload, "t_ns": now}
                else:  # as the live window makes them (id, kind, key-press time, text)
                    payload = marker_payload(payload["kind"], now, payload["text"] or "")
                producer.send(topic, payload, now)
            producer.pump()
            session.supervise()
            time.sleep(0.02)
        if not producer.flush(timeout_s=10):
            raise SystemExit(f"{out}: the hub did not confirm every rating and marker")
        producer.close()


def main() -> None:
    """Parse the arguments and run the sessions."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sessions", type=int, default=6)
    parser.add_argument("--duration", type=float, default=1200.0)
    parser.add_argument("--speed", type=float, default=60.0)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    args.out_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for number in range(1, args.sessions + 1):
        out = args.out_dir / f"session-{number:02d}.sqlite"
        if out.exists():
            raise SystemExit(f"{out} exists; choose an empty folder")
        run_one(out, number, args.duration, args.speed)
        logging.getLogger("coregulate").warning("wrote %s", out)


if __name__ == "__main__":
    main()
