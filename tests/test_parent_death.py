"""A session's child stops when its main process dies: the kernel's signal, or a watchdog.

On main a killed main process left hub, signal and sync running for minutes with
the file never closed (issue 15, item 3); `tests/test_kill_loop.py` kills a whole
session's main process. Here each mechanism alone, in a bare child.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

# The child: asks to be told when its parent dies, then waits (at most 20 s).
CHILD = textwrap.dedent(
    """
    import os, signal, sys, time
    sys.platform = {platform!r}  # the watchdog is what macOS and Windows get
    from coregulate.bus import shutdown
    marker = {marker!r}
    signal.signal(shutdown.PARENT_DIED_SIGNAL, lambda *a: open(marker, "w").write("stopped"))
    print(shutdown.die_with_parent(os.getppid()), flush=True)
    end = time.monotonic() + 20
    while time.monotonic() < end and not os.path.exists(marker):
        time.sleep(0.05)
    """
)
# The parent: starts the child, says its pid and how it is watched, then sleeps until killed.
PARENT = textwrap.dedent(
    """
    import subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
    print(child.pid, child.stdout.readline().strip(), flush=True)
    time.sleep(60)
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux's")
@pytest.mark.parametrize(("platform", "how"), [("linux", "prctl"), ("darwin", "watchdog")])
def test_a_child_is_told_to_stop_when_its_parent_dies(
    tmp_path: Path, platform: str, how: str
) -> None:
    marker = tmp_path / "stopped"
    child = CHILD.format(platform=platform, marker=str(marker))
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, child], stdout=subprocess.PIPE, text=True
    )
    try:
        child_pid, said = parent.stdout.readline().split()  # type: ignore[union-attr]
        assert said == how
        assert not marker.exists()
        killed = time.monotonic()
        parent.kill()  # kill -9: no chance to tell anyone
        parent.wait(10)
        while not marker.exists() and time.monotonic() - killed < 5:
            time.sleep(0.05)
        assert marker.exists(), f"the child was not told within 5 s ({how})"
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()  # type: ignore[union-attr]
        if "child_pid" in locals():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(child_pid), signal.SIGKILL)
