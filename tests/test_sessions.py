"""`coregulate sessions`: session files listed per pseudonymous client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from coregulate.recordings.simulated_file import write_simulated_session

CLI = [sys.executable, "-m", "coregulate.cli"]


def _import(src_dir: Path, folder: Path, name: str, client: str) -> None:
    rr = src_dir / f"{name}.txt"
    rr.write_text("\n".join(["800", "810", "790"] * 40) + "\n")
    run = subprocess.run(
        [*CLI, "import", str(rr), "--out", str(folder / f"{name}.sqlite"), "--client-id", client],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr


def test_sessions_are_grouped_by_client_from_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    folder = data / "coregulate" / "sessions"  # platformdirs' per-user data folder on Linux
    folder.mkdir(parents=True)
    _import(tmp_path, folder, "a1", "client-A")
    _import(tmp_path, folder, "a2", "client-A")
    _import(tmp_path, folder, "b1", "client-B")
    write_simulated_session(folder / "sim.sqlite", duration_s=60)
    (folder / "broken.sqlite").write_bytes(b"not a database at all")
    env = {**os.environ, "XDG_DATA_HOME": str(data)}
    run = subprocess.run([*CLI, "sessions"], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "client client-A: 2 session(s)" in lines
    assert "client client-B: 1 session(s)" in lines
    assert "client sim-client: 1 session(s)" in lines
    assert any(line.startswith("unreadable: broken.sqlite") for line in lines)
    run = subprocess.run(
        [*CLI, "sessions", str(folder), "--client", "client-B"], capture_output=True, text=True
    )
    assert run.stdout.splitlines()[0] == "client client-B: 1 session(s)"
    assert "b1.sqlite" in run.stdout and "a1.sqlite" not in run.stdout
