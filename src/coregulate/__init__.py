"""coregulate: a real-time physiological co-regulation monitor for psychotherapy sessions."""

__version__ = "0.1.0"
