"""Which sequence numbers of a stream the hub already holds (`coregulate.bus.sequences`).

The same bookkeeping serves a stage's replay (what it already took), so it lives
in `bus/`; the hub's name for it stays.
"""

from __future__ import annotations

from coregulate.bus.sequences import SeqSet as StreamState

__all__ = ["StreamState"]
