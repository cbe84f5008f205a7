"""Every command's output path: a bad place is one line and exit 73 with nothing created;
JSON and report outputs are replaced atomically, owner-only, never through a symlink."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from coregulate.cli import main
from coregulate.commands import _exit_codes as exit_codes
from review_support import session_file


def _unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (root ignores mode bits: use sysfs)."""
    if os.geteuid() == 0:
        if not Path("/sys/kernel").is_dir():
            pytest.skip("running as root without sysfs: no unwritable folder to test with")
        return Path("/sys/kernel")
    folder = tmp_path / "read-only"
    folder.mkdir(mode=0o500)
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("inputs")
    (base / "sessions").mkdir()
    rr = base / "rr.txt"
    rr.write_text("RR (ms)\n" + "\n".join(str(800 + k % 7) for k in range(400)) + "\n")
    return {
        "session": session_file(base / "sessions" / "s1.sqlite", duration_s=200),
        "folder": base / "sessions",
        "rr": rr,
    }


# name -> (argv with {out} for the output path, output suffix)
COMMANDS = {
    "import": (["import", "{rr}", "--out", "{out}"], ".sqlite"),
    "export": (["export", "{session}", "--format", "csv", "--out", "{out}"], ""),
    "analyze --json": (["analyze", "{session}", "--json", "{out}"], ".json"),
    "analyze --report": (["analyze", "{session}", "--report", "{out}"], ".png"),
    "salvage": (["salvage", "{session}", "--out", "{out}"], ".sqlite"),
    "hrv-report": (["hrv-report", "{session}", "--out", "{out}"], ".json"),
    "history --csv": (["history", "c-1", "--folder", "{folder}", "--csv", "{out}"], ".csv"),
    "history --plot": (["history", "c-1", "--folder", "{folder}", "--plot", "{out}"], ".png"),
    "sync": (["sync", "{session}", "--json", "{out}"], ".json"),
    "report": (["report", "{session}", "--out", "{out}"], ".pdf"),
    # The session commands (issue 15 item 8): the place is checked before any process starts.
    "demo": (["demo", "--headless", "--no-dialog", "--duration", "5", "--out", "{out}"], ".sqlite"),
    "monitor": (
        ["monitor", "--client", "sim", "--therapist", "sim", "--headless", "--out", "{out}"],
        ".sqlite",
    ),
    "replay": (["replay", "{session}", "--headless", "--out", "{out}"], ".sqlite"),
}


def _argv(name: str, inputs: dict[str, Path], out: Path) -> list[str]:
    words, _ = COMMANDS[name]
    return [w.format(out=out, **inputs) for w in words]


def _tree(*roots: Path) -> set[Path]:
    return {p for root in roots for p in root.rglob("*")}


@pytest.mark.parametrize("place", ["parent is a file", "missing folder", "unwritable folder"])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_bad_output_place_is_one_line_exit_73_and_nothing_created(
    name: str, place: str, inputs: dict[str, Path], tmp_path: Path, caplog
) -> None:
    suffix = COMMANDS[name][1]
    if place == "parent is a file":
        (tmp_path / "a-file").write_text("x")
        out = tmp_path / "a-file" / f"out{suffix}"
    elif place == "missing folder":
        out = tmp_path / "no-such-folder" / f"out{suffix}"
    else:
        out = _unwritable_folder(tmp_path) / f"coregulate-test-out{suffix}"
    before = _tree(tmp_path, inputs["folder"])
    caplog.set_level(logging.WARNING)
    assert main(_argv(name, inputs, out)) == exit_codes.CANNOT_CREATE
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert str(out.parent) in errors[0].getMessage()
    assert "\n" not in errors[0].getMessage()
    assert _tree(tmp_path, inputs["folder"]) == before
    assert (not out.exists() and not out.parent.is_dir()) or not os.path.lexists(out)


def test_the_command_line_prints_one_line_without_a_traceback(tmp_path: Path) -> None:
    path = session_file(tmp_path / "s.sqlite", duration_s=120)
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "coregulate.cli",
            "sync",
            str(path),
            "--json",
            str(tmp_path / "none" / "x.json"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == exit_codes.CANNOT_CREATE
    assert "Traceback" not in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "does not exist" in run.stderr and "none" in run.stderr


OVERWRITING = ("analyze --json", "sync", "report")


@pytest.mark.parametrize("name", OVERWRITING)
def test_an_existing_output_is_replaced_atomically_and_owner_only(
    name: str, inputs: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / f"out{COMMANDS[name][1]}"
    out.write_text("old")
    out.chmod(0o644)
    old_inode = out.stat().st_ino
    assert main(_argv(name, inputs, out)) == exit_codes.OK
    info = out.stat()
    assert stat.S_IMODE(info.st_mode) == 0o600
    assert info.st_ino != old_inode  # a new file took the name: readers never see half
    assert out.read_bytes() != b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]  # no temporary left


@pytest.mark.parametrize("name", OVERWRITING)
def test_an_output_that_is_a_symlink_is_refused(
    name: str, inputs: dict[str, Path], tmp_path: Path, caplog
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("someone else's file")
    victim.chmod(0o644)
    out = tmp_path / f"out{COMMANDS[name][1]}"
    out.symlink_to(victim)
    assert main(_argv(name, inputs, out)) == exit_codes.CANNOT_CREATE
    assert "symbolic link" in caplog.text
    assert out.is_symlink() and victim.read_text() == "someone else's file"
    assert stat.S_IMODE(victim.stat().st_mode) == 0o644


def test_the_exit_codes_are_one_table_and_the_hubs_agrees() -> None:
    from coregulate.recordings.hub import EXIT_WRITE_FAILED

    assert exit_codes.WRITE_FAILED == EXIT_WRITE_FAILED
    codes = [code for code, _, _ in exit_codes.TABLE]
    assert len(set(codes)) == len(codes)
    documented = (Path(__file__).parents[1] / "docs" / "exports.md").read_text()
    for code, name, _ in exit_codes.TABLE:
        assert f"| {code} | `{name}` |" in documented


def test_every_command_returns_a_code_from_the_table() -> None:
    import re

    import coregulate.commands

    folder = Path(coregulate.commands.__file__).parent
    for path in sorted(folder.glob("*.py")):
        if path.name == "_exit_codes.py":
            continue
        text = path.read_text()
        assert not re.search(r"return -?\d+\b", text), f"{path.name}: use _exit_codes"
        assert "EXIT_" not in text, f"{path.name}: a code of its own; use _exit_codes"
