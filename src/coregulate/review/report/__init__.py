"""The one-page session report a supervisor reads: physiology, synchrony, markers, ratings, quality.

One renderer for `coregulate report FILE` (the session as recorded) and
`coregulate analyze --report` (the offline pipeline's results,
`review.from_analysis`): both hand it a `SessionData`. A4 portrait, written as PDF
or PNG by matplotlib (no display needed). Top to bottom: the session's events
(markers and ratings, when it has any) on the session clock; each person's arousal
index with its states when the metrics carry them, else HR and lnRMSSD; each with
the person's baseline band (`panels`); HR synchrony (peak r against
each window's chance band with the session's verdict in words, and the lag at the
peak, positive = therapist leads); then ratings and markers (when there are any),
time in each state and data quality as tables (`tables`). Colours are the live
window's (`coregulate.palette`). Everything is an indicator relative to each
person's own baseline, never a diagnosis; synchrony is information, not a score.

A session of 3-6 people gets its own page (`group_page`, `group_panels`): a section
per person in session order and window colour, each pair's windows above chance,
the group index against its chance level, and a table of every pair (peak r, lag
with +: b leads, who leads in words, the session's verdict); markers name whom they
are about. A two-person page is unchanged.
"""

from coregulate.review.report.page import draw_page, page_sections, write_report

__all__ = ["draw_page", "page_sections", "write_report"]
