"""Reviewing sessions: one session's timeline read from its file, the one-page
report, and a client's history across sessions."""
