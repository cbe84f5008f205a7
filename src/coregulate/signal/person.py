"""One person's live signal: artifact correction, HRV, RSA, baseline and state.

:class:`PersonSignal` is the streaming class: it owns preallocated rings and calls
the kernels of :mod:`~coregulate.signal.hrv`, :mod:`~coregulate.signal.artifacts`,
:mod:`~coregulate.signal.rsa` and :mod:`~coregulate.signal.baseline`. Offline paths
(:func:`replay_notifications`, :func:`metrics_at_every_beat`) run the same class, so
a replay gives exactly what the live session published.

Windows are in seconds on the session clock and end at the newest *classified*
beat (two beats behind the newest beat: artifact detection looks two beats ahead);
the newest 45 of them carry provisional classes until their final class (45-beat
look-ahead) replaces them (:mod:`~coregulate.signal.person_beats`).
No successive difference spans a gap; LF/HF/RSA are computed across a short gap
only (at most 6 s, heart period interpolated: :mod:`~coregulate.signal.gap_bridge`).
Definitions, parameters and tolerances: docs/metrics.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from coregulate.signal import catalogue, person_steps
from coregulate.signal.artifacts import KIND_NAMES, MIN_RR_MS
from coregulate.signal.baseline import BaselineProfile, StateThresholds
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.signal.person_beats import ClassifiedBeats
from coregulate.signal.person_steps import ArousalState, Update, num


@dataclass(frozen=True, slots=True)
class PersonConfig:
    """Parameters of one person's metrics (defaults in docs/metrics.md).

    Attributes
    ----------
    window_s
        Trailing window for RMSSD and SDNN.
    hr_window_s
        Trailing window for HR.
    spectral_window_s
        Trailing window for LF/HF power and RSA.
    spectral_step_s
        Spectral power and RSA are recomputed when the newest classified beat is at
        least this much later than at their last computation (0: every beat).
    interpolation_hz
        Rate at which NN is interpolated for the spectrum.
    min_diffs
        Fewest successive differences (and intervals) for RMSSD and SDNN.
    max_artifact_share
        A window with a larger share of corrected beats gives "not available".
    max_hr_artifact_share
        The same for the short HR window: a mean of corrected intervals stays a good
        HR, and one ectopic pair is already 15 % of 10 s, so only "mostly repaired".
    min_spectral_coverage
        Share of the spectral window the newest run (short gaps bridged) must cover.
    baseline_s
        Resting period from the first beat used as baseline; 0 for none.
    no_signal_s
        No beat for this long is "no signal": a metrics update says so, and says it
        again every `no_signal_s` while it lasts (:meth:`PersonSignal.silence`); a
        longer gap between two beats also restarts the state word.
    thresholds
        State thresholds and minimum dwell.
    """

    window_s: float = 60.0
    hr_window_s: float = 10.0
    spectral_window_s: float = 240.0
    spectral_step_s: float = 5.0
    interpolation_hz: float = 4.0
    min_diffs: int = 10
    max_artifact_share: float = 0.2
    max_hr_artifact_share: float = 0.5
    min_spectral_coverage: float = 0.9
    baseline_s: float = DEFAULT_BASELINE_S
    no_signal_s: float = 5.0
    thresholds: StateThresholds = field(default_factory=StateThresholds)

    def __post_init__(self) -> None:
        for name in ("window_s", "hr_window_s", "spectral_window_s"):
            if not 1.0 <= getattr(self, name) <= 3600.0:
                raise ValueError(f"{name} must be within 1..3600 s, got {getattr(self, name)}")
        if not 0.0 <= self.baseline_s <= 3600.0:
            raise ValueError(f"baseline_s must be within 0..3600 s, got {self.baseline_s}")
        if not 1.0 <= self.no_signal_s <= 60.0:
            raise ValueError(f"no_signal_s must be within 1..60 s, got {self.no_signal_s}")
        if not 0.0 < self.max_artifact_share <= 1.0:
            raise ValueError("max_artifact_share must be within (0, 1]")


class PersonMetrics:
    """One update of a person's metrics: the `metrics.<role>` payload, field by field.

    Every field of the catalogue's payload (``signal/catalogue.py``) is an attribute
    (``m.hr_bpm``, ``m.state``, ``m.unavailable``); None is "not available" and
    ``unavailable`` says why. Units are in the names; `baseline` and `beats` are
    JSON-ready dicts (docs/protocol.md, ``metrics.<role>``).
    """

    __slots__ = ("_payload",)

    def __init__(self, payload: dict[str, Any]) -> None:
        self._payload = payload

    def __getattr__(self, name: str) -> Any:
        try:
            return self._payload[name]
        except KeyError:
            raise AttributeError(f"PersonMetrics has no field {name!r}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PersonMetrics) and self._payload == other._payload

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PersonMetrics({self._payload!r})"

    @property
    def t_ns(self) -> int:
        """Return the session time of the update (the newest classified beat)."""
        return self._payload["t_ns"]

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as a JSON-ready dict (the `metrics.<role>` payload)."""
        # A shallow copy, in the catalogue's order: `dataclasses.asdict`'s deep copy
        # was a third of `analyze`'s time, and nothing mutates a published payload.
        return dict(self._payload)


class PersonSignal:
    """Keeps one person's beats and returns their metrics after each notification.

    Parameters
    ----------
    config
        Windows, thresholds and baseline length.
    profile
        A stored baseline profile; when given, no resting period is collected.
    capacity
        Classified beats kept (default: enough for the longest window at 300 bpm).
    """

    def __init__(
        self,
        config: PersonConfig | None = None,
        profile: BaselineProfile | None = None,
        capacity: int | None = None,
    ) -> None:
        self.config = config or PersonConfig()
        longest = max(self.config.window_s, self.config.spectral_window_s)
        # The fastest accepted rhythm (MIN_RR_MS) fills the longest window with this
        # many beats: a window is never cut short by the ring.
        cap = capacity or int(longest * 1000.0 / MIN_RR_MS) + 64
        self._beats = ClassifiedBeats(cap)
        self._ring = self._beats.ring
        self._segment = 0
        self._first_raw_ns: int | None = None
        self._last_seen_ns: int | None = None  # the newest beat received, plausible or not
        self._silent_ns: int | None = None  # the next "no signal" update is due then
        self._state = ArousalState(self.config, profile)
        self._steps = [make(self.config) for make in person_steps.STEPS] + [self._state]
        self._fields = catalogue.PAYLOAD
        self._keys = tuple(f.name for f in self._fields)

    @property
    def profile(self) -> BaselineProfile | None:
        """Return the baseline profile in use (collected or stored), or None."""
        return self._state.profile

    # --- baseline control ------------------------------------------------------

    def retake_baseline(self, duration_s: float | None = None) -> None:
        """Start a new resting period at the next update (the indicator restarts)."""
        d = self.config.baseline_s if duration_s is None else float(duration_s)
        if not 10.0 <= d <= 3600.0:
            raise ValueError(f"a baseline needs 10..3600 s, got {d}")
        self._state.retake(d)

    def use_profile(self, profile: BaselineProfile) -> None:
        """Use a stored profile as the baseline from now on."""
        self._state.use_profile(profile)

    # --- streaming ---------------------------------------------------------------

    def update(
        self, t_ns: Sequence[int], rr_ms: Sequence[float], gap_before: bool
    ) -> PersonMetrics:
        """Add the beats of one notification and return the metrics after its last beat."""
        classified: list[tuple[int, float, int]] = []
        rejected: list[dict[str, Any]] = []
        if len(t_ns):
            self._heard(int(t_ns[0]), int(t_ns[-1]))
        for d in self._beats.decisions.decide(t_ns, rr_ms, gap_before):
            if d.reason is not None:
                # Not a heartbeat interval: kept out of every window, shown in the
                # payload, and the run ends here (no difference may span it).
                rejected.append({"t_ns": d.t_ns, "rr_ms": num(d.rr_ms), "reason": d.reason})
                continue
            self._segment += d.new_run
            classified += self._beats.add(d, self._segment)
            if self._first_raw_ns is None:
                self._first_raw_ns = d.t_ns
        # The beats whose final class came with this notification (one decision per beat).
        beats = {
            "t_ns": [int(t) for t, _, _ in classified],
            "nn_ms": [num(v) for _, v, _ in classified],
            "kind": [KIND_NAMES[k] for _, _, k in classified],
            "rejected": rejected,
        }
        return self._metrics(beats)

    def _heard(self, first_ns: int, last_ns: int) -> None:
        """Note beats from `first_ns` to `last_ns`; after no signal, the state word restarts."""
        step_ns = int(self.config.no_signal_s * 1e9)
        if self._last_seen_ns is not None and first_ns - self._last_seen_ns >= step_ns:
            # Nobody knows what the state was in the silence: "settled for 2:11" must
            # not run on across it. Decided from the beats alone, so every offline
            # path that replays them gives the same updates.
            self._state.restart_state()
        self._last_seen_ns = max(last_ns, self._last_seen_ns or last_ns)
        self._silent_ns = self._last_seen_ns + step_ns

    def silence(self, now_ns: int) -> list[PersonMetrics]:
        """Return a "no signal" update for each `no_signal_s` since the last beat, up to `now_ns`.

        `now_ns` is a session time the caller knows has passed (a bus stage: the time of
        any message it received), never a clock reading, so a replay of the same
        messages gives the same updates. Each update is stamped with the time its step
        was due (last beat + k × `no_signal_s`), has no values and no state, and
        `no_signal_since_ns` is the last beat's time. Nothing before the first beat.

        Examples
        --------
        >>> p = PersonSignal()
        >>> _ = p.update([1_000_000_000], [800.0], False)
        >>> [m.t_ns for m in p.silence(12_000_000_000)]
        [6000000000, 11000000000]
        >>> p.silence(12_000_000_000)
        []
        """
        out = []
        step_ns = int(self.config.no_signal_s * 1e9)
        while self._silent_ns is not None and self._silent_ns <= now_ns:
            out.append(self._no_signal(self._silent_ns))
            self._silent_ns += step_ns
        return out

    def _no_signal(self, now: int) -> PersonMetrics:
        last = self._last_seen_ns or 0
        waited_s = (now - last) / 1e9
        reason = f"no signal since {_clock(last)} (no beat for {waited_s:.0f} s)"
        empty = {"t_ns": [], "nn_ms": [], "kind": [], "rejected": []}
        return self._empty(now, empty, reason, no_signal_since_ns=last)

    def _metrics(self, beats: dict[str, list]) -> PersonMetrics:
        t_all = self._ring.view("t")
        if t_all.size == 0:
            # The first beat: every later update's window ends at or after it.
            now = self._first_raw_ns if self._first_raw_ns is not None else 0
            reason = "waiting for the first beats (artifact detection looks two beats ahead)"
            return self._empty(now, beats, reason)
        u = Update(
            int(t_all[-1]),
            t_all,
            self._ring.view("nn"),
            self._ring.view("seg"),
            self._ring.view("kind"),
            {},
            {},
        )
        for step in self._steps:
            step(u)
        return self._join(u.now_ns, u.values, beats, u.unavailable)

    def _join(
        self,
        now: int,
        values: dict[str, Any],
        beats: dict,
        unavailable: dict[str, str],
        no_signal_since_ns: int | None = None,
    ) -> PersonMetrics:
        """Return the steps' values as one payload, in the catalogue's order."""
        cfg = self.config
        values.update(
            t_ns=now,
            window_s=cfg.window_s,
            hr_window_s=cfg.hr_window_s,
            spectral_window_s=cfg.spectral_window_s,
            beats=beats,
            unavailable=unavailable,
            no_signal_since_ns=no_signal_since_ns,
        )
        try:
            return PersonMetrics({k: values[k] for k in self._keys})
        except KeyError as exc:
            raise RuntimeError(f"no step computes the catalogue's field {exc}") from None

    def _empty(
        self, now: int, beats: dict, reason: str, no_signal_since_ns: int | None = None
    ) -> PersonMetrics:
        values = {f.name: f.empty for f in self._fields}
        values["artifacts"] = dict.fromkeys(KIND_NAMES[1:], 0)
        values["baseline"] = {"status": self._state.status}
        unavailable = {f.name: reason for f in self._fields if f.explained}
        return self._join(now, values, beats, unavailable, no_signal_since_ns)


def is_no_signal(payload: dict[str, Any]) -> bool:
    """Return True for a `metrics.<role>` payload that says "no signal" (no beat came)."""
    return payload.get("no_signal_since_ns") is not None


def _clock(t_ns: int) -> str:
    """Return a session time as h:mm:ss or m:ss."""
    s = max(0, t_ns // 1_000_000_000)
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"


def replay_notifications(
    notifications: Iterable[dict[str, Any]],
    config: PersonConfig | None = None,
    profile: BaselineProfile | None = None,
) -> list[PersonMetrics]:
    """Return the metrics after each `beat.<role>` payload, as the live stage made them."""
    person = PersonSignal(config, profile)
    return [person.update(n["t_ns"], n["rr_ms"], bool(n["gap_before"])) for n in notifications]


def metrics_at_every_beat(
    t_ns: np.ndarray,
    rr_ms: np.ndarray,
    gap_before: np.ndarray | None = None,
    config: PersonConfig | None = None,
    profile: BaselineProfile | None = None,
) -> list[PersonMetrics]:
    """Return the metrics after every beat of a recording (each beat its own update)."""
    person = PersonSignal(config, profile)
    gaps = np.zeros(len(t_ns), bool) if gap_before is None else np.asarray(gap_before, bool)
    return [
        person.update((int(t),), (float(r),), bool(g))
        for t, r, g in zip(t_ns, rr_ms, gaps, strict=True)
    ]
