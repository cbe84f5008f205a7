"""The report's time panels: events, each person's arousal (or HR and lnRMSSD), synchrony.

Every band means one thing: the person's baseline, mean ± 1 SD. On the arousal
index (z against the baseline profile) that is the band |index| ≤ 1; on HR and
lnRMSSD it is the baseline profile the metrics recorded, or, when they recorded
none, the mean ± 1 SD of the default resting period, and the legend says which.
"""

from __future__ import annotations

import numpy as np

from coregulate.palette import (
    NOTE_GREY,
    PAPER,
    RATING_COLOUR,
    RATING_FLAG_COLOUR,
    ROLE_COLOURS,
    STATE_COLOURS,
    SYNC_COLOUR,
    ink,
    marker_colour,
    marker_line,
    person_colours,
)
from coregulate.review.quality import baseline_band, sync_summary, window_chance_counts
from coregulate.review.report.tables import fmt, rating_name
from coregulate.review.session_data import SessionData
from coregulate.signal.baseline import ACTIVATED, HIGHLY_ACTIVATED, StateThresholds
from coregulate.signal.dyad import ROLES
from coregulate.signal.synchrony import HR_PARAMS

GAP_COLOUR = "#BBBBBB"  # lost strap data: grey, never a meaning colour
# The palette's line styles as matplotlib draws them (the window draws the same).
LINE_STYLES = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}
# The events row's symbol per line style, so that the two rupture kinds differ there too.
EVENT_SYMBOLS = {"dash": "v", "dashdot": "^", "solid": "o", "dot": "s"}
STATE_ALPHA = 0.3  # state colours behind a trace, light enough to read it
BAND_ALPHA = 0.18
VERDICT_LINE_R = 0.28  # room for one line of the verdict above r = 1 (data units of r)


def thresholds(data: SessionData) -> StateThresholds:
    """Return the state thresholds the session recorded in its parameters, else the defaults."""
    params = (data.info.get("parameters") or {}).get("person_metrics") or {}
    recorded = params.get("thresholds")
    if isinstance(recorded, dict):
        try:
            return StateThresholds(**recorded)
        except TypeError:
            pass  # another version's fields: the defaults are the documented ones
    return StateThresholds()


def time_axes(fig, grid, names: list[str], skip: tuple[str, ...]) -> dict[str, object]:
    """Return an axes per section on the session clock (all but `skip`), sharing one time axis."""
    axes: dict[str, object] = {}
    for i, name in enumerate(names):
        if name not in skip:
            axes[name] = fig.add_subplot(grid[i], sharex=next(iter(axes.values()), None))
    return axes


def marker_lines(ax, data: SessionData, person: str | None = None) -> None:
    """Draw every marker as a vertical line in its kind's colour and line style.

    On a person's panel (`person`), a marker naming other people only is drawn faint.
    """
    for m in data.markers:
        colour, style = marker_colour(m.kind, m.category), marker_line(m.kind, m.category)
        faint = person is not None and bool(m.who) and person not in m.who
        ax.axvline(
            m.t_s / 60, color=colour, ls=LINE_STYLES[style], lw=0.9, zorder=1,
            alpha=0.3 if faint else 1.0,
        )  # fmt: skip


def gap_spans(ax, data: SessionData, role: str) -> None:
    """Shade the spans where a person's strap data was lost."""
    for start, end in data.people[role].gaps:
        ax.axvspan(start / 60, end / 60, color=GAP_COLOUR, alpha=0.5, lw=0, zorder=0)


def _rating_groups(data: SessionData) -> list[list]:
    """Return the ratings grouped when given together (e.g. SRS and WAI-SR at the end)."""
    groups: list[list] = []
    for r in sorted(data.ratings, key=lambda r: r.t_ns):
        if groups and r.t_ns - groups[-1][-1].t_ns < 0.02 * data.duration_s * 1e9:
            groups[-1].append(r)
        else:
            groups.append([r])
    return groups


def events_axis(ax, data: SessionData) -> None:
    """Draw markers (upper row) and ratings (lower row) along the session."""
    ax.set_ylim(0, 2)
    ax.set_yticks([0.55, 1.45], ["ratings", "markers"], fontsize=7)
    ax.tick_params(axis="x", labelbottom=False)
    for i, m in enumerate(data.markers):
        colour = marker_colour(m.kind, m.category)
        symbol = EVENT_SYMBOLS[marker_line(m.kind, m.category)]
        ax.plot(m.t_s / 60, 1.45, marker=symbol, color=colour, ms=6)
        # Alternating above and below so that neighbouring labels do not overlap.
        ax.annotate(
            m.label + (f" ({' & '.join(m.who)})" if m.who else ""),
            (m.t_s / 60, 1.45),
            xytext=(3, 5 if i % 2 == 0 else -9),
            textcoords="offset points",
            fontsize=5.5,
            color=ink(colour, PAPER.background),
        )
    for group in _rating_groups(data):
        t_min = group[0].t_ns / 60e9
        flagged = any(any(r.score.flags.values()) for r in group)
        text = " · ".join(
            f"{rating_name(r)} {r.score.total:g}" + (" ⚑" if any(r.score.flags.values()) else "")
            for r in group
        )
        late = t_min > data.duration_s / 120  # the label goes on the side with room
        colour = RATING_FLAG_COLOUR if flagged else RATING_COLOUR
        ax.plot(t_min, 0.55, marker="D", ms=5, color=colour)
        ax.annotate(
            text,
            (t_min, 0.55),
            xytext=(-7, -3) if late else (7, -3),
            textcoords="offset points",
            fontsize=6.5,
            color=ink(colour, PAPER.background),
            ha="right" if late else "left",
        )
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


def _state_background(ax, t_min: np.ndarray, states: list[str | None]) -> None:
    start = 0
    for i in range(1, len(states) + 1):
        if i == len(states) or states[i] != states[start]:
            state = states[start]
            if state in (ACTIVATED, HIGHLY_ACTIVATED) and i < len(t_min):
                colour = STATE_COLOURS[state]
                ax.axvspan(t_min[start], t_min[i], color=colour, alpha=STATE_ALPHA, lw=0, zorder=0)
            start = i


def arousal_axis(ax, data: SessionData, role: str, legend: bool = True) -> None:
    """Draw a person's arousal index with the baseline band, the thresholds and the states.

    The person's colour is the window's (`palette.person_colours`: the dyad's as ever).
    """
    from matplotlib.patches import Patch

    colour = person_colours([*data.people], "paper").get(role, NOTE_GREY)
    p = data.people[role]
    th = thresholds(data)
    t_min = p.t_s / 60
    if p.state is not None:
        _state_background(ax, t_min, p.state)
    ax.axhspan(-1, 1, color=colour, alpha=BAND_ALPHA, lw=0, zorder=0)
    for y in (th.activated_enter, th.high_enter):
        ax.axhline(y, color=NOTE_GREY, lw=0.6, ls=":")
    ax.plot(t_min, p.arousal_index, color=colour, lw=0.9, zorder=3)
    ax.set_ylabel(f"{role}\narousal index (z)", fontsize=7)
    handles = [Patch(color=colour, alpha=BAND_ALPHA * 2, label="baseline ±1 SD")]
    handles += [
        Patch(color=STATE_COLOURS[s], alpha=STATE_ALPHA, label=f"{s} (≥ {y:g})")
        for s, y in ((ACTIVATED, th.activated_enter), (HIGHLY_ACTIVATED, th.high_enter))
    ]
    if p.baseline_window_s:
        start, end = p.baseline_window_s
        hatch = {"facecolor": "none", "hatch": "///", "edgecolor": GAP_COLOUR, "lw": 0}
        ax.axvspan(start / 60, end / 60, zorder=0, **hatch)
        handles.append(Patch(label="resting baseline taken", **hatch))
    ax.set_ylim(top=max(ax.get_ylim()[1], th.high_enter + 0.5) * 1.15)
    if not legend:
        return
    # Above the panel, so a high index never runs under the legend.
    ax.legend(
        handles=handles, fontsize=5.5, loc="lower right", bbox_to_anchor=(1.0, 0.98),
        ncols=len(handles), frameon=False, borderaxespad=0,
    )  # fmt: skip


def band_source(data: SessionData, key: str) -> str | None:
    """Return what the HR or lnRMSSD band shows, in words, or None without any band."""
    sources = {b[2] for p in data.people.values() if (b := baseline_band(p, key))}
    if not sources:
        return None
    if sources == {"baseline"}:
        return "band: each person's baseline profile, mean ±1 SD"
    other = " / ".join(sorted(sources - {"baseline"}))
    return f"band: baseline ±1 SD ({other} where no baseline profile was recorded)"


def metric_axis(ax, data: SessionData, key: str, label: str) -> None:
    """Draw both people's HR or lnRMSSD with each person's baseline band."""
    for role in ROLES:
        p = data.people.get(role)
        if p is None:
            continue
        values = getattr(p, key)
        ax.plot(p.t_s / 60, values, color=ROLE_COLOURS[role], lw=0.8, label=role, zorder=3)
        band = baseline_band(p, key)
        if band:
            mean, sd, _ = band
            ax.axhspan(mean - sd, mean + sd, color=ROLE_COLOURS[role], alpha=BAND_ALPHA, lw=0)
    ax.set_ylabel(label, fontsize=7)
    if not any(role in data.people for role in ROLES):  # a file with synchrony only
        return
    title = band_source(data, key)
    ax.legend(fontsize=6, loc="best", frameon=False, ncols=2, title=title, title_fontsize=5.5)


def _sync_window_s(data: SessionData) -> float:
    """Return the HR synchrony window the session recorded, else the default one."""
    recorded = (data.info.get("parameters") or {}).get("synchrony_hr") or {}
    window_s = recorded.get("window_s")
    return float(window_s) if isinstance(window_s, int | float) else HR_PARAMS.window_s


def _sync_title(data: SessionData) -> str | None:
    sm = sync_summary(data)
    if not sm:
        return None
    return (
        f"session: SUSY ES {fmt(sm['susy_es'], '+.2f')} (p {fmt(sm['susy_p'], '.3f')}, "
        f"{sm['n_surrogates'] or 0} surrogates); "
        f"mean peak z {fmt(sm['mean_peak_z'], '+.2f')}; "
        f"median lag {fmt(sm['median_peak_lag_s'], '+.1f', ' s')}; therapist leads "
        f"{fmt(sm['share_therapist_leads'], '.0%')}, client leads "
        f"{fmt(sm['share_client_leads'], '.0%')}"
    )


def verdict_text(data: SessionData) -> str | None:
    """Return the session's synchrony against chance in words (and why no band), or None."""
    sm = sync_summary(data)
    if not sm:
        return None
    return f"synchrony against chance: {sm['verdict']}{_no_band(data)}"


def _no_band(data: SessionData) -> str:
    """Return a line "no chance band: <why>" when no window has a chance band, else ""."""
    s = data.sync
    if s is None or np.isfinite(s.chance_abs_r95).any():
        return ""
    return f"\nno chance band: {s.chance_unavailable or 'this file carries none'}"


def chance_band_label(data: SessionData) -> str | None:
    """Return the chance band's legend entry with the windows above it, or None without a band."""
    if data.sync is None or not np.isfinite(data.sync.chance_abs_r95).any():
        return None
    above, judged = window_chance_counts(data)
    return (
        f"chance band ±95th pct. of unrelated stretches' peak |r|; "
        f"above it in {above} of {judged} windows"
    )


def _chance_band(ax, data: SessionData, t_min: np.ndarray, breaks: np.ndarray) -> None:
    """Shade ±chance_abs_r95 per window and mark the windows whose r is above it."""
    s = data.sync
    label = chance_band_label(data)
    if s is None or label is None:
        return
    band_t, band = np.insert(t_min, breaks, np.nan), np.insert(s.chance_abs_r95, breaks, np.nan)
    from matplotlib.patches import Patch

    style = {"color": NOTE_GREY, "alpha": BAND_ALPHA * 1.5, "lw": 0}
    ax.fill_between(
        band_t, -band, band, where=np.isfinite(band), zorder=0, gid="chance_band", **style
    )
    hit = s.above_chance == 1.0
    ax.scatter(t_min[hit], s.peak_r[hit], s=3, color=SYNC_COLOUR, lw=0, zorder=3)
    handles = [Patch(label=label, **style)]
    ax.legend(handles=handles, fontsize=5.5, loc="lower left", frameon=False, borderaxespad=0.2)


def sync_axes(ax_r, ax_lag, data: SessionData) -> None:
    """Draw HR synchrony: peak r per window, and the lag at the peak coloured by the leader."""
    s = data.sync
    if s is None or not s.t_s.size:
        text = "no synchrony in this session (it needs the beats of both people)"
        ax_r.text(0.5, 0.5, text, ha="center", transform=ax_r.transAxes, fontsize=8)
        return
    t_min = s.t_s / 60
    # Break the line where windows are missing (a gap in someone's data) instead
    # of drawing a straight line across it.
    steps = np.diff(t_min)
    breaks = np.flatnonzero(steps > 1.5 * np.median(steps)) + 1 if steps.size else np.zeros(0, int)
    line_t, line_r = np.insert(t_min, breaks, np.nan), np.insert(s.peak_r, breaks, np.nan)
    ax_r.plot(line_t, line_r, color=SYNC_COLOUR, lw=0.6)
    _chance_band(ax_r, data, t_min, breaks)
    ax_r.set_ylim(-1, 1)
    ax_r.axhline(0, color=NOTE_GREY, lw=0.5)
    ax_r.set_ylabel(f"HR synchrony\npeak r ({_sync_window_s(data):g} s)", fontsize=7)
    lag = s.peak_lag_s
    leader = np.where(lag > 0, ROLE_COLOURS["therapist"], ROLE_COLOURS["client"])
    ax_lag.scatter(t_min, lag, s=1.5, c=np.where(lag == 0, NOTE_GREY, leader), lw=0)
    ax_lag.axhline(0, color=NOTE_GREY, lw=0.5)
    ax_lag.set_ylabel("lag at peak (s)\n+ therapist leads", fontsize=7)
    title = _sync_title(data)
    if title:
        ax_r.set_title(title, fontsize=6.5, loc="left")
    verdict = verdict_text(data)
    if verdict:  # above r = 1, in room made for it, so that it never hides a window
        lines = verdict.count("\n") + 1
        ax_r.set_ylim(-1, 1 + VERDICT_LINE_R * lines)
        ax_r.set_yticks([-1, -0.5, 0, 0.5, 1])
        ax_r.axhline(1, color=NOTE_GREY, lw=0.5)
        ax_r.text(
            0.005, 0.98, verdict, transform=ax_r.transAxes, fontsize=6.5, va="top",
            gid="chance_verdict",
        )  # fmt: skip
