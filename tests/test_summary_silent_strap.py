"""A person whose strap never streamed is named in the session summary, never left out.

Found under load: `monitor --client sim --therapist sim --duration 120 --speed 100`
ended on its wall-clock limit before the simulated straps' process had streamed, and
the summary showed an empty table above "none missing".
"""

from __future__ import annotations

from pathlib import Path

import coregulate.commands.monitor as monitor_cmd
from coregulate.bus.envelope import TOPIC_SESSION
from coregulate.recordings.summary import format_summary
from coregulate.recordings.writer import SessionWriter

S = 1_000_000_000


def test_a_person_with_nothing_recorded_is_named(tmp_path: Path) -> None:
    path = tmp_path / "one-silent.sqlite"
    with SessionWriter(path, "acq") as writer:
        writer.send(TOPIC_SESSION, {"client_id": "c", "therapist_id": "t"}, 0)
        writer.send("beat.client", {"t_ns": [S, 2 * S], "rr_ms": [1000, 1000]}, 2 * S)
    text = format_summary(path)
    therapist = [line for line in text.splitlines() if line.startswith("therapist")]
    assert therapist and therapist[0].split()[1:3] == ["0", "0"], text
    assert "NOTHING RECORDED from this person's strap" in text


def test_simulated_monitor_sessions_end_with_their_straps_not_the_wall_clock(
    tmp_path: Path, monkeypatch
) -> None:
    seen = {}

    def capture(*args, **kwargs):  # the options the command would run
        seen.update(kwargs)
        return 0

    monkeypatch.setattr(monitor_cmd, "new_session_options", capture)
    parser_args = ["--client", "sim", "--therapist", "sim", "--headless", "--duration", "60"]
    from coregulate.cli import build_parser

    args = build_parser().parse_args(["monitor", *parser_args, "--out", str(tmp_path / "x.sqlite")])
    monitor_cmd.run(args)
    assert seen["stop_after_s"] is None
    assert seen["duration_s"] == 60
