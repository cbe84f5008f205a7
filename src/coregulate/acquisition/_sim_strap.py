"""The simulated strap and BLE link: notifications with real 0x2A37 payloads, on time.

Turns one person's detected beats into what a host receives: a notification every
interval on the strap's drifting clock, each with the RRs that ended since the last,
arrival latency, contact losses and disconnections (see
:mod:`coregulate.acquisition.simulator` for the model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

import numpy as np

from coregulate.acquisition._sim_config import DyadConfig, PersonProfile
from coregulate.acquisition.hrm import RR_TICKS_PER_S, encode_heart_rate_measurement

if TYPE_CHECKING:
    from coregulate.acquisition._sim_group import GroupConfig

_HR_ESTIMATE_WINDOW_S: Final = 5.0
_HR_ESTIMATE_BEATS: Final = 4
_TICKS_PER_MS: Final = RR_TICKS_PER_S / 1000  # == 1.024 exactly as a float


@dataclass(frozen=True, slots=True)
class StrapEvent:
    """One thing the host sees from a strap, stamped on the session clock.

    Attributes
    ----------
    role : str
        "client" or "therapist".
    kind : str
        "notification", "disconnected" or "connected".
    arrival_ns : int
        Arrival on the session clock (ns since session start), latency included.
    data : bytes
        The 0x2A37 payload for notifications, empty otherwise.
    """

    role: str
    kind: str
    arrival_ns: int
    data: bytes = b""


def _in_windows(t_s: np.ndarray, windows: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Return per time whether it falls inside one of the (start_s, duration_s) windows."""
    inside = np.zeros(t_s.shape, dtype=bool)
    for start_s, duration_s in windows:
        inside |= (t_s >= start_s) & (t_s < start_s + duration_s)
    return inside


def _overlaps_windows(
    start_s: np.ndarray, end_s: np.ndarray, windows: tuple[tuple[float, float], ...]
) -> np.ndarray:
    """Return per interval (start_s, end_s) whether it overlaps one of the windows."""
    hit = np.zeros(start_s.shape, dtype=bool)
    for w_start_s, w_duration_s in windows:
        hit |= (start_s < w_start_s + w_duration_s) & (end_s > w_start_s)
    return hit


@dataclass(frozen=True, slots=True)
class _LinkPlan:
    """What is known before the notifications are built: per tick and per beat, as lists."""

    send_s: list[float]  # send time of each tick on the host clock
    send_ns: list[int]
    arrival_nominal_ns: list[int]  # send time plus latency, before keeping arrivals ordered
    hr_field_bpm: list[int]
    in_contact_loss: list[bool]
    in_disconnection: list[bool]
    new_hi: list[int]  # beats ending up to each tick: end_s[:new_hi]
    last_drop_s: list[float]  # the last contact or link loss since the previous tick, or NaN
    end_s: list[float]  # per beat from here on
    deliverable: list[bool]
    ticks: list[int]  # RR in 1/1024 s


@dataclass(slots=True)
class _ArrivalLog:
    """One strap's events in arrival order, with the link's connection changes woven in."""

    role: str
    changes: list[tuple[float, str]]  # (time in s, "disconnected" or "connected"), in order
    events: list[StrapEvent] = field(default_factory=list)
    last_arrival_ns: int = -1
    next_change: int = 0

    def add(self, kind: str, nominal_ns: int, data: bytes = b"") -> None:
        """Append an event; arrivals stay strictly increasing, as a host would see them."""
        self.last_arrival_ns = max(nominal_ns, self.last_arrival_ns + 1)
        self.events.append(StrapEvent(self.role, kind, self.last_arrival_ns, data))

    def changes_until(self, t_s: float) -> None:
        """Append the connection changes at or before `t_s` that are not logged yet."""
        while self.next_change < len(self.changes) and self.changes[self.next_change][0] <= t_s:
            t_change_s, kind = self.changes[self.next_change]
            self.add(kind, round(t_change_s * 1e9))
            self.next_change += 1


def strap_events(
    role: str,
    end_s: np.ndarray,
    rr_ms: np.ndarray,
    profile: PersonProfile,
    config: DyadConfig | GroupConfig,
    rng: np.random.Generator,
) -> tuple[list[StrapEvent], np.ndarray, np.ndarray]:
    """Return (events, delivered mask, notification send times in ns) for one strap."""
    plan = _link_plan(end_s, rr_ms, profile, config, rng)
    log = _ArrivalLog(role, _connection_changes(profile, config.duration_s))
    sent: list[int] = []
    delivered = np.zeros(end_s.size, dtype=bool)
    end_list, deliverable, ticks = plan.end_s, plan.deliverable, plan.ticks
    queue: list[int] = []
    new_lo = 0
    for t_send, new_hi, last_drop_s, disconnected, contact_lost, hr_bpm, arrival_ns, send_ns in zip(
        plan.send_s,
        plan.new_hi,
        plan.last_drop_s,
        plan.in_disconnection,
        plan.in_contact_loss,
        plan.hr_field_bpm,
        plan.arrival_nominal_ns,
        plan.send_ns,
        strict=True,
    ):
        log.changes_until(t_send)
        queue.extend(k for k in range(new_lo, new_hi) if deliverable[k])
        new_lo = new_hi
        if not math.isnan(last_drop_s):
            queue = [k for k in queue if end_list[k] > last_drop_s]
        if disconnected:
            queue.clear()  # already empty by construction; kept as a guard
            continue
        if contact_lost:
            queue.clear()
            payload = encode_heart_rate_measurement(0, contact=False)
        else:
            carried = queue[: config.max_rr_per_notification]
            del queue[: config.max_rr_per_notification]
            delivered[carried] = True
            payload = encode_heart_rate_measurement(
                hr_bpm, contact=True, rr_ticks=[ticks[k] for k in carried]
            )
        log.add("notification", arrival_ns, payload)
        sent.append(send_ns)
    log.changes_until(math.inf)
    return log.events, delivered, np.array(sent, dtype=np.int64)


def _link_plan(
    end_s: np.ndarray,
    rr_ms: np.ndarray,
    profile: PersonProfile,
    config: DyadConfig | GroupConfig,
    rng: np.random.Generator,
) -> _LinkPlan:
    """Return the tick schedule and what each tick and beat meets, computed with NumPy."""
    drift = 1.0 + profile.clock_drift_ppm * 1e-6
    spacing_s = config.notification_interval_s / drift
    first_send_s = rng.uniform(0.0, spacing_s)
    send_s = first_send_s + spacing_s * np.arange(
        max(0, math.ceil((config.duration_s - first_send_s) / spacing_s))
    )
    latency_ns = rng.uniform(config.latency_min_ms, config.latency_max_ms, size=send_s.size) * 1e6
    start_s = end_s - rr_ms / drift * 1e-3
    measured = ~_overlaps_windows(start_s, end_s, profile.contact_loss)
    deliverable = measured & (end_s > 0.0) & ~_in_windows(end_s, profile.disconnections)
    return _LinkPlan(
        send_s=send_s.tolist(),
        send_ns=np.rint(send_s * 1e9).astype(np.int64).tolist(),
        arrival_nominal_ns=np.rint(send_s * 1e9 + latency_ns).astype(np.int64).tolist(),
        hr_field_bpm=_strap_hr_estimates(send_s, end_s[measured], rr_ms[measured]).tolist(),
        in_contact_loss=_in_windows(send_s, profile.contact_loss).tolist(),
        in_disconnection=_in_windows(send_s, profile.disconnections).tolist(),
        new_hi=np.searchsorted(end_s, send_s, side="right").tolist(),
        last_drop_s=_last_drop_s(send_s, profile),
        end_s=end_s.tolist(),
        deliverable=deliverable.tolist(),
        ticks=np.rint(rr_ms * _TICKS_PER_MS).astype(np.int64).tolist(),
    )


def _last_drop_s(send_s: np.ndarray, profile: PersonProfile) -> list[float]:
    """Return per tick the last contact or link loss since the previous tick, or NaN."""
    # Queued RRs are dropped when contact or the link is lost.
    drop_points_s = np.array(
        sorted(s for s, _ in profile.contact_loss + profile.disconnections), dtype=float
    )
    drop_hi = np.searchsorted(drop_points_s, send_s, side="right")
    drop_lo = np.concatenate(([0], drop_hi))[:-1]
    return np.where(
        drop_hi > drop_lo, np.append(drop_points_s, np.nan)[drop_hi - 1], np.nan
    ).tolist()


def _connection_changes(profile: PersonProfile, duration_s: float) -> list[tuple[float, str]]:
    """Return the (time in s, kind) of each disconnection's start and end inside the session."""
    return [
        boundary
        for s, d in profile.disconnections
        for boundary in ((s, "disconnected"), (s + d, "connected"))
        if boundary[0] < duration_s
    ]


def _strap_hr_estimates(send_s: np.ndarray, end_s: np.ndarray, rr_ms: np.ndarray) -> np.ndarray:
    """Return the strap's HR field per tick: 60000 / mean of its last RRs within 5 s, or 0."""
    hi = np.searchsorted(end_s, send_s, side="right")
    lo = np.searchsorted(end_s, send_s - _HR_ESTIMATE_WINDOW_S, side="left")
    lo = np.maximum(lo, hi - _HR_ESTIMATE_BEATS)
    cumulative_ms = np.concatenate(([0.0], np.cumsum(rr_ms)))
    count = hi - lo
    total_ms = cumulative_ms[hi] - cumulative_ms[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        hr_bpm = np.where(count > 0, 60000.0 * count / total_ms, 0.0)
    return np.rint(hr_bpm).astype(np.int64)
