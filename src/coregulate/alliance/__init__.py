"""Alliance and outcome instruments: SRS, ORS and WAI-SR, scored by their published rules.

Pure domain code (no Qt, no sockets). Only the dimension names ship here: the items'
wording is copyrighted, and a clinic loads its licensed text with
`coregulate.alliance.wording.load_wording`.
"""

from coregulate.alliance.instruments import INSTRUMENTS, Instrument, instrument
from coregulate.alliance.scoring import RatingError, Score, score

__all__ = ["INSTRUMENTS", "Instrument", "RatingError", "Score", "instrument", "score"]
