"""A one-line live status every few seconds while a session runs without a window.

Instead of ten silent minutes, a headless session says where it is::

    12:30 of 90:00 | client 812 beats, settled | therapist 790 beats, activated |
    6424 messages recorded | strap trouble: client reconnecting

It listens to the hub's output like any viewer (a thread with its own SUB socket),
so it sees what is recorded, not what the straps meant to send.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from typing import Any, Final

from coregulate.bus.envelope import Message
from coregulate.bus.subscriber import BusSubscriber

ROLES: Final = ("client", "therapist")  # the dyad's, when no people are given
# Strap status words that are not trouble.
_FINE: Final = frozenset({"streaming", "ended", "connecting"})

log = logging.getLogger("coregulate.live")


def _clock(t_s: float) -> str:
    t_s = max(0.0, t_s)
    minutes, seconds = divmod(int(t_s), 60)
    return f"{minutes}:{seconds:02d}"


class LiveTally:
    """What the status line says, updated from each bus message."""

    def __init__(self, total_s: float | None, people: tuple[str, ...] = ROLES) -> None:
        self.total_s = total_s
        self.people = tuple(people)  # the session's people's keys, in session order
        self.t_ns = 0
        self.beats = dict.fromkeys(self.people, 0)
        self.state: dict[str, str] = dict.fromkeys(self.people, "no state yet")
        self.strap: dict[str, str] = dict.fromkeys(self.people, "connecting")
        self.recorded: int | None = None
        # Trouble words seen since the last line: a drop and a quick return between two
        # lines is still worth a mention.
        self.trouble: dict[str, list[str]] = {r: [] for r in self.people}

    def add(self, msg: Message) -> None:
        """Count `msg` into the tally."""
        kind, _, role = msg.topic.partition(".")
        if msg.topic == "status.hub":
            self.recorded = _field(msg, "stored", self.recorded)
            return
        self.t_ns = max(self.t_ns, msg.t_ns)
        if role not in self.people:
            return
        if kind == "beat":
            self.beats[role] += len(_field(msg, "t_ns", []) or [])
        elif kind == "metrics":
            state = _field(msg, "state", None)
            self.state[role] = state or _why(msg)
        elif kind == "status":
            word = _field(msg, "status", self.strap[role]) or self.strap[role]
            self.strap[role] = word
            if word not in _FINE and word not in self.trouble[role]:
                self.trouble[role].append(word)

    def line(self) -> str:
        """Return the one-line status."""
        now = _clock(self.t_ns / 1e9)
        parts = [f"{now} of {_clock(self.total_s)}" if self.total_s else now]
        parts += [f"{r} {self.beats[r]} beats, {self.state[r]}" for r in self.people]
        if self.recorded is not None:
            parts.append(f"{self.recorded} messages recorded")
        trouble = [f"{r} {', '.join(words)}" for r, words in self.trouble.items() if words]
        parts.append("strap trouble: " + "; ".join(trouble) if trouble else "straps fine")
        self.trouble = {r: [w] if w not in _FINE else [] for r, w in self.strap.items()}
        return " | ".join(parts)


def _field(msg: Message, name: str, default: Any) -> Any:
    if msg.enc != "json":
        return default
    try:
        body = json.loads(msg.payload)
    except ValueError:
        return default
    return body.get(name, default) if isinstance(body, dict) else default


def _why(msg: Message) -> str:
    why = (_field(msg, "unavailable", {}) or {}).get("state", "no state")
    return str(why).split(";")[0]


class LiveStatus:
    """A thread that logs `LiveTally.line()` every `every_s` until the block ends."""

    def __init__(
        self,
        endpoint: str,
        total_s: float | None,
        every_s: float = 5.0,
        people: tuple[str, ...] = ROLES,
    ) -> None:
        self.tally = LiveTally(total_s, people)
        self._endpoint = endpoint
        self._every_s = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="live-status", daemon=True)

    def __enter__(self) -> LiveStatus:
        _show_live_lines()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)

    def _run(self) -> None:
        sub = BusSubscriber(self._endpoint, topics=("beat.", "metrics.", "status."))
        try:
            while not self._stop.wait(self._every_s):
                while batch := sub.drain():
                    for msg in batch:
                        self.tally.add(msg)
                log.info("%s", self.tally.line())
        finally:
            sub.close()


def _show_live_lines() -> None:
    """Send the live lines to stderr as they are, whatever the command's log level."""
    if log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
