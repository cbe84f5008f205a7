"""The people of a session: who they are and the default resting baseline.

Declared once here, at the bottom of the package (``signal/`` imports nothing else
of coregulate), so the bus, the stages, the window and the reports agree.
"""

from __future__ import annotations

from typing import Final

# The two people of a dyad, in display order. Synchrony's sign convention follows
# this order: a positive lag means the therapist leads (docs/synchrony.md).
ROLES: Final = ("client", "therapist")

# The resting period at the start of a session that forms each person's baseline
# (docs/metrics.md, "Baseline, arousal index and states"); 0 means "no baseline".
DEFAULT_BASELINE_S: Final = 180.0
