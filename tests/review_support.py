"""Small session files written directly (no processes) with known contents, for review tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from coregulate.alliance import score
from coregulate.alliance.instruments import ORS, SRS, WAI_SR
from coregulate.alliance.rating import rating_payload
from coregulate.bus.envelope import make_message
from coregulate.recordings.store import SessionStore

NS = 1_000_000_000


class FileBuilder:
    """Collects messages with per-stream seqs and writes them as a session file."""

    def __init__(self) -> None:
        self.msgs: list = []
        self._seq: dict[tuple[str, str], int] = {}

    def add(self, topic: str, payload: Any, t_ns: int, source: str = "x") -> None:
        key = (source, topic)
        self._seq[key] = self._seq.get(key, 0) + 1
        self.msgs.append(make_message(topic, source, self._seq[key], t_ns, payload))

    def write(self, path: Path) -> Path:
        store = SessionStore(path)
        for i, msg in enumerate(self.msgs):
            store.add(msg, msg.header_bytes(), i)
        store.close()
        return path


def session_file(
    path: Path,
    client_id: str = "c-1",
    wall_anchor_ns: int = 1_700_000_000 * NS,
    ors_items: list[float] | None = None,
    srs_items: list[float] | None = None,
    wai_items: list[int] | None = None,
    states: bool = True,
    duration_s: int = 300,
) -> Path:
    """Write a 5-minute session with known metrics, states, markers, ratings and one gap.

    Client: HR 70 bpm, lnRMSSD 3.5, arousal 0 and state "settled" for t < 100 s,
    arousal 2 "activated" for 100 <= t < 160 s, arousal 3.5 "highly activated" for
    160 <= t < 190 s, then settled; metrics and beats every second from t = 1 s to
    300 s, except the client's from 181 to 199 s (strap lost). Therapist: HR 60,
    lnRMSSD 4.0, always settled. So the client's 299 s between the first and the last
    update are 99 settled + 60 activated + 20 highly activated (160-179 s) + 20
    unavailable (180-200 s) + 100 settled (200-299 s).
    """
    b = FileBuilder()
    b.add(
        "session",
        {
            "clock": {"wall_anchor_ns": wall_anchor_ns, "monotonic_anchor_ns": 0, "speed": 1.0},
            "client_id": client_id,
            "therapist_id": "t-1",
            "mode": "test",
        },
        0,
        "session",
    )
    for t in range(1, duration_s + 1):
        for role in ("client", "therapist"):
            # The client's strap is lost from 181 to 199 s: no beats, no metrics.
            if role == "client" and 180 < t < 200:
                continue
            if role == "client":
                arousal, state = (
                    (0.0, "settled")
                    if t < 100
                    else (2.0, "activated")
                    if t < 160
                    else (3.5, "highly activated")
                    if t < 190
                    else (0.0, "settled")
                )
                hr, ln = 70.0, 3.5
            else:
                arousal, state, hr, ln = 0.0, "settled", 60.0, 4.0
            payload = {
                "t_ns": t * NS,
                "hr_bpm": hr,
                "ln_rmssd": ln,
                "artifact_share": 0.01,
                "unavailable": {},
            }
            if states:
                payload |= {"arousal_index": arousal, "state": state}
            b.add(f"metrics.{role}", payload, t * NS, "signal")
            # One beat per second (60 bpm); the beat at 200 s says beats were lost before it.
            b.add(
                f"beat.{role}",
                {"t_ns": [t * NS], "rr_ms": [1000.0], "gap_before": role == "client" and t == 200},
                t * NS,
                "acq",
            )
        if t % 10 == 0 and t >= 40:
            b.add(
                "sync",
                {
                    "series": "hr_bpm",
                    "t_ns": t * NS,
                    "final": False,
                    "window": {
                        "start_ns": (t - 30) * NS,
                        "end_ns": t * NS,
                        "peak_r": 0.5,
                        "peak_lag_s": 1.0,
                    },
                },
                t * NS,
                "sync",
            )
    b.add(
        "sync",
        {
            "series": "hr_bpm",
            "t_ns": duration_s * NS,
            "final": True,
            "window": None,
            "summary": {
                "mean_peak_z": 0.4,
                "median_peak_lag_s": 1.0,
                "share_therapist_leads": 0.8,
                "share_client_leads": 0.2,
            },
            "susy": {"z": {"es": 0.9}, "p_above_chance": 0.01, "n_surrogates": 100},
            "concordance": {"ci": 0.3},
        },
        duration_s * NS,
        "sync",
    )
    b.add("marker", {"kind": "rupture (withdrawal)", "note": "looked away"}, 105 * NS, "ui")
    # The live window's form: id, kind, t_ns (key press), text; undo by retraction.
    b.add("marker", {"id": "m2", "kind": "repair", "t_ns": 170 * NS, "text": None}, 171 * NS, "ui")
    b.add("marker", {"id": "m3", "kind": "rupture-confrontation", "t_ns": 175 * NS}, 175 * NS, "ui")
    b.add(
        "marker",
        {"id": "m4", "kind": "retraction", "t_ns": 176 * NS, "retracts": "m3"},
        176 * NS,
        "ui",
    )
    b.add("marker", {"kind": "note", "note": "plan"}, 250 * NS, "ui")
    b.add("marker", {"note": "no kind"}, 251 * NS, "ui")
    for inst, items, phase, t in (
        (ORS, ors_items, "start", 5),
        (SRS, srs_items, "end", 290),
        (WAI_SR, wai_items, "end", 295),
    ):
        if items is not None:
            b.add(
                "rating",
                rating_payload(score(inst, items), "client", phase, t * NS),
                t * NS,
                "rating",
            )
    # A rating whose total does not match its answers must be left out, loudly.
    bad = rating_payload(score(SRS, [1, 1, 1, 1]), "client", "end", 296 * NS)
    b.add("rating", {**bad, "total": 40}, 296 * NS, "rating")
    return b.write(path)
