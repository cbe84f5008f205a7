"""A stage: explicit inputs (topic prefixes), `update()` per message, `terminate()`.

Stages hold no sockets, so tests drive them with plain Messages and read what they
return; `coregulate.stages.runner` connects one to the bus.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from coregulate.bus.envelope import Message


@dataclass(frozen=True, slots=True)
class Output:
    """One message a stage wants published."""

    topic: str
    payload: Any
    t_ns: int


class Stage(Protocol):
    """What the runner needs of a stage."""

    name: str  # the bus source name of its outputs
    topics: tuple[str, ...]  # topic prefixes it consumes
    produces: tuple[str, ...]  # topic prefixes it publishes

    def update(self, msg: Message) -> list[Output]:
        """Return the outputs caused by one input message."""
        ...

    def terminate(self) -> list[Output]:
        """Return any final outputs at the end of the session."""
        ...
