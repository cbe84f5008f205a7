"""One person's live signal: artifact correction, HRV, RSA, baseline and state.

:class:`PersonSignal` is the streaming class: it owns preallocated rings and calls
the kernels of :mod:`~coregulate.signal.hrv`, :mod:`~coregulate.signal.artifacts`,
:mod:`~coregulate.signal.rsa` and :mod:`~coregulate.signal.baseline`. Offline paths
(:func:`replay_notifications`, :func:`metrics_at_every_beat`) run the same class, so
a replay gives exactly what the live session published.

Windows are in seconds on the session clock and end at the newest *classified*
beat (two beats behind the newest beat: artifact detection looks two beats ahead).
No successive difference, interpolation or RSA epoch spans a gap. Definitions,
parameters and tolerances: docs/metrics.md.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from coregulate.signal.artifacts import (
    KIND_NAMES,
    MIN_RR_MS,
    NORMAL,
    CausalArtifactClassifier,
    implausible_reason,
)
from coregulate.signal.baseline import (
    NS_PER_S,
    BaselineCollector,
    BaselineProfile,
    StateThresholds,
    StateTracker,
    arousal_index,
)
from coregulate.signal.dyad import DEFAULT_BASELINE_S
from coregulate.signal.hrv import HF_BAND_HZ, LF_BAND_HZ, band_powers_ms2
from coregulate.signal.ring import Ring
from coregulate.signal.rsa import rsa_ln_ms2


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
        Share of the spectral window the newest contiguous run must cover.
    baseline_s
        Resting period from the first beat used as baseline; 0 for none.
    thresholds
        State thresholds and minimum dwell.
    """

    window_s: float = 60.0
    hr_window_s: float = 10.0
    spectral_window_s: float = 120.0
    spectral_step_s: float = 5.0
    interpolation_hz: float = 4.0
    min_diffs: int = 10
    max_artifact_share: float = 0.2
    max_hr_artifact_share: float = 0.5
    min_spectral_coverage: float = 0.9
    baseline_s: float = DEFAULT_BASELINE_S
    thresholds: StateThresholds = field(default_factory=StateThresholds)

    def __post_init__(self) -> None:
        for name in ("window_s", "hr_window_s", "spectral_window_s"):
            if not 1.0 <= getattr(self, name) <= 3600.0:
                raise ValueError(f"{name} must be within 1..3600 s, got {getattr(self, name)}")
        if not 0.0 <= self.baseline_s <= 3600.0:
            raise ValueError(f"baseline_s must be within 0..3600 s, got {self.baseline_s}")
        if not 0.0 < self.max_artifact_share <= 1.0:
            raise ValueError("max_artifact_share must be within (0, 1]")


@dataclass(frozen=True, slots=True)
class PersonMetrics:
    """One update of a person's metrics; None is "not available" (`unavailable` says why).

    Units are in the names; `baseline` and `beats` are JSON-ready dicts (see
    docs/protocol.md, ``metrics.<role>``).
    """

    t_ns: int
    hr_bpm: float | None
    rmssd_ms: float | None
    ln_rmssd: float | None
    sdnn_ms: float | None
    n_beats: int
    n_diffs: int
    artifact_share: float
    hr_artifact_share: float
    spectral_artifact_share: float | None
    artifacts: dict[str, int]
    lf_power_ms2: float | None
    hf_power_ms2: float | None
    ln_hf: float | None
    rsa_ln_ms2: float | None
    spectral_t_ns: int | None
    arousal_index: float | None
    state: str | None
    state_since_ns: int | None
    baseline: dict[str, Any]
    window_s: float
    hr_window_s: float
    spectral_window_s: float
    beats: dict[str, list]
    unavailable: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        """Return the metrics as a JSON-ready dict (the `metrics.<role>` payload)."""
        return asdict(self)


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


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
        self._ring = Ring(cap, {"t": np.int64, "nn": np.float64, "seg": np.int64, "kind": np.int8})
        self._classifier = CausalArtifactClassifier()
        self._segment = 0
        self._last_raw_ns: int | None = None
        self._pending_segments: deque[int] = deque()
        self._gap_pending = False
        self._first_raw_ns: int | None = None
        self._spectral: tuple[float, float, float] = (math.nan, math.nan, math.nan)
        self._spectral_t_ns: int | None = None
        self._spectral_share: float | None = None
        self._spectral_reason: dict[str, str] = {}
        self.profile = profile
        self._profile_json: tuple[BaselineProfile | None, dict] = (None, {})
        self._collector: BaselineCollector | None = None
        self._baseline_status = "profile" if profile is not None else "waiting"
        self._baseline_pending_s: float | None = None
        if profile is None and self.config.baseline_s > 0:
            self._baseline_pending_s = self.config.baseline_s
        elif profile is None:
            self._baseline_status = "none"
        self._tracker = StateTracker(self.config.thresholds)

    # --- baseline control ------------------------------------------------------

    def retake_baseline(self, duration_s: float | None = None) -> None:
        """Start a new resting period at the next update (the indicator restarts)."""
        d = self.config.baseline_s if duration_s is None else float(duration_s)
        if not 10.0 <= d <= 3600.0:
            raise ValueError(f"a baseline needs 10..3600 s, got {d}")
        self._baseline_pending_s = d
        self._collector = None
        self.profile = None
        self._baseline_status = "waiting"
        self._tracker.reset()

    def use_profile(self, profile: BaselineProfile) -> None:
        """Use a stored profile as the baseline from now on."""
        self.profile = profile
        self._collector = None
        self._baseline_pending_s = None
        self._baseline_status = "profile"
        self._tracker.reset()

    # --- streaming ---------------------------------------------------------------

    def update(
        self, t_ns: Sequence[int], rr_ms: Sequence[float], gap_before: bool
    ) -> PersonMetrics:
        """Add the beats of one notification and return the metrics after its last beat."""
        classified: list[tuple[int, float, int]] = []
        rejected: list[dict[str, Any]] = []
        for i, (t_raw, rr_raw) in enumerate(zip(t_ns, rr_ms, strict=True)):
            t, rr = int(t_raw), float(rr_raw)
            reason = implausible_reason(t, rr, self._last_raw_ns)
            if reason is not None:
                # Not a heartbeat interval: kept out of every window, shown in the
                # payload, and the run ends here (no difference may span it).
                rejected.append({"t_ns": t, "rr_ms": _num(rr), "reason": reason})
                self._gap_pending = True
                continue
            gap = (gap_before and i == 0) or self._gap_pending
            self._gap_pending = False
            if gap and self._last_raw_ns is not None:
                classified += self._classifier.flush()
                self._segment += 1
            self._pending_segments.append(self._segment)
            classified += self._classifier.update(t, rr, False)
            self._last_raw_ns = t
            if self._first_raw_ns is None:
                self._first_raw_ns = t
        # Every accepted beat comes out classified exactly once, in order.
        for t, nn, kind in classified:
            seg = self._pending_segments.popleft()
            self._ring.append(t=t, nn=nn, seg=seg, kind=kind)
        return self._metrics(classified, rejected)

    def _metrics(
        self, classified: list[tuple[int, float, int]], rejected: list[dict[str, Any]]
    ) -> PersonMetrics:
        cfg = self.config
        unavailable: dict[str, str] = {}
        t_all = self._ring.view("t")
        beats = {
            "t_ns": [int(t) for t, _, _ in classified],
            "nn_ms": [_num(v) for _, v, _ in classified],
            "kind": [KIND_NAMES[k] for _, _, k in classified],
            "rejected": rejected,
        }
        if t_all.size == 0:
            # The first beat: every later update's window ends at or after it.
            now = self._first_raw_ns if self._first_raw_ns is not None else 0
            reason = "waiting for the first beats (artifact detection looks two beats ahead)"
            return self._empty(now, beats, reason)
        now = int(t_all[-1])
        nn_all, seg_all, kind_all = (
            self._ring.view("nn"),
            self._ring.view("seg"),
            self._ring.view("kind"),
        )

        # HR over the short window.
        lo = np.searchsorted(t_all, now - int(cfg.hr_window_s * NS_PER_S), side="right")
        hr_nn = nn_all[lo:]
        hr_kind = kind_all[lo:]
        hr_share = float(np.count_nonzero(hr_kind != NORMAL)) / hr_kind.size
        hr_ok = hr_nn[np.isfinite(hr_nn)]
        hr = None
        if hr_share > cfg.max_hr_artifact_share:
            unavailable["hr_bpm"] = (
                f"{hr_share:.0%} of the beats in the last {cfg.hr_window_s:g} s were corrected "
                f"(more than {cfg.max_hr_artifact_share:.0%})"
            )
        elif hr_ok.size == 0:
            unavailable["hr_bpm"] = f"no beats in the last {cfg.hr_window_s:g} s"
        else:
            hr = 60000.0 * hr_ok.size / float(hr_ok.sum())

        # RMSSD and SDNN over the main window.
        lo = np.searchsorted(t_all, now - int(cfg.window_s * NS_PER_S), side="right")
        nn, seg, kind = nn_all[lo:], seg_all[lo:], kind_all[lo:]
        n_beats = int(nn.size)
        counts = np.bincount(kind, minlength=len(KIND_NAMES))
        artifact_share = float(n_beats - counts[NORMAL]) / n_beats
        keep = np.isfinite(nn)
        nn_k, seg_k = nn[keep], seg[keep]
        d = np.diff(nn_k)[seg_k[1:] == seg_k[:-1]]
        rmssd = sdnn = ln_rmssd = None
        if artifact_share > cfg.max_artifact_share:
            reason = (
                f"{artifact_share:.0%} of the beats in the last {cfg.window_s:g} s were "
                f"corrected (more than {cfg.max_artifact_share:.0%})"
            )
            unavailable.update(rmssd_ms=reason, ln_rmssd=reason, sdnn_ms=reason)
        elif d.size < cfg.min_diffs:
            reason = (
                f"{d.size} successive intervals in the last {cfg.window_s:g} s "
                f"(needs {cfg.min_diffs})"
            )
            unavailable.update(rmssd_ms=reason, ln_rmssd=reason, sdnn_ms=reason)
        else:
            # Plain sums: the same values as np.mean / np.std(ddof=1) to rounding, at a
            # third of the per-call overhead on windows of ~70 beats.
            rmssd = math.sqrt(float(d @ d) / d.size)
            dev = nn_k - float(nn_k.sum()) / nn_k.size
            sdnn = math.sqrt(float(dev @ dev) / (nn_k.size - 1))
            if rmssd > 0:
                ln_rmssd = math.log(rmssd)
            else:
                unavailable["ln_rmssd"] = "RMSSD is 0 (identical intervals): no logarithm"

        self._update_spectral(now, t_all, nn_all, seg_all, kind_all)
        lf, hf, rsa = (_num(x) for x in self._spectral)
        for name, value in (("lf_power_ms2", lf), ("hf_power_ms2", hf), ("rsa_ln_ms2", rsa)):
            if value is None:
                unavailable[name] = self._spectral_reason.get(name, "not computed yet")
        ln_hf = math.log(hf) if hf is not None and hf > 0 else None
        if ln_hf is None:
            unavailable["ln_hf"] = unavailable.get("hf_power_ms2", "HF power is 0")

        baseline = self._update_baseline(now, hr, ln_rmssd)
        index = state = since = None
        if self.profile is None:
            unavailable["arousal_index"] = f"no baseline yet ({self._baseline_status})"
        elif hr is None or ln_rmssd is None:
            unavailable["arousal_index"] = "needs both HR and lnRMSSD"
        else:
            index = arousal_index(hr, ln_rmssd, self.profile)
            state = self._tracker.update(now, index)
            since = self._tracker.since_ns
        if state is None:
            unavailable["state"] = unavailable["arousal_index"]

        return PersonMetrics(
            t_ns=now,
            hr_bpm=hr,
            rmssd_ms=rmssd,
            ln_rmssd=ln_rmssd,
            sdnn_ms=sdnn,
            n_beats=n_beats,
            n_diffs=int(d.size),
            artifact_share=artifact_share,
            hr_artifact_share=hr_share,
            spectral_artifact_share=self._spectral_share,
            artifacts={KIND_NAMES[k]: int(counts[k]) for k in range(1, len(KIND_NAMES))},
            lf_power_ms2=lf,
            hf_power_ms2=hf,
            ln_hf=ln_hf,
            rsa_ln_ms2=rsa,
            spectral_t_ns=self._spectral_t_ns,
            arousal_index=index,
            state=state,
            state_since_ns=since,
            baseline=baseline,
            window_s=cfg.window_s,
            hr_window_s=cfg.hr_window_s,
            spectral_window_s=cfg.spectral_window_s,
            beats=beats,
            unavailable=unavailable,
        )

    def _update_spectral(
        self,
        now: int,
        t_all: np.ndarray,
        nn_all: np.ndarray,
        seg_all: np.ndarray,
        kind_all: np.ndarray,
    ) -> None:
        cfg = self.config
        step_ns = int(cfg.spectral_step_s * NS_PER_S)
        if self._spectral_t_ns is not None and now - self._spectral_t_ns < step_ns:
            return
        self._spectral_t_ns = now
        window_ns = int(cfg.spectral_window_s * NS_PER_S)
        lo = np.searchsorted(t_all, now - window_ns, side="right")
        # The newest contiguous run only: interpolation must not bridge a gap.
        lo = max(lo, int(np.searchsorted(seg_all, seg_all[-1], side="left")))
        t, nn, kind = t_all[lo:], nn_all[lo:], kind_all[lo:]
        keep = np.isfinite(nn)
        span_s = (t[-1] - t[0]) / NS_PER_S if t.size else 0.0
        share = float(np.count_nonzero(kind != NORMAL)) / max(1, kind.size)
        self._spectral_share = share
        reason = None
        if span_s < cfg.min_spectral_coverage * cfg.spectral_window_s:
            reason = (
                f"{span_s:.0f} s of contiguous beats (needs "
                f"{cfg.min_spectral_coverage * cfg.spectral_window_s:.0f} s)"
            )
        elif share > cfg.max_artifact_share:
            reason = (
                f"{share:.0%} of the beats in the last {cfg.spectral_window_s:g} s were "
                f"corrected (more than {cfg.max_artifact_share:.0%})"
            )
        if reason is not None:
            self._spectral = (math.nan, math.nan, math.nan)
            self._spectral_reason = dict.fromkeys(
                ("lf_power_ms2", "hf_power_ms2", "rsa_ln_ms2"), reason
            )
            return
        t_s = (t[keep] - t[keep][0]) / NS_PER_S
        nn_k = nn[keep]
        lf, hf = band_powers_ms2(t_s, nn_k, cfg.interpolation_hz, (LF_BAND_HZ, HF_BAND_HZ))
        rsa = rsa_ln_ms2(t_s, nn_k)
        self._spectral = (lf, hf, rsa)
        self._spectral_reason = {
            "lf_power_ms2": "no power in the band",
            "hf_power_ms2": "no power in the band",
            "rsa_ln_ms2": "no complete 30 s epoch after filtering",
        }

    def _update_baseline(self, now: int, hr: float | None, ln_rmssd: float | None) -> dict:
        if self._baseline_pending_s is not None:
            # A session's baseline starts at its first classified beat, a re-take at
            # the update after it was asked for.
            self._collector = BaselineCollector(now, self._baseline_pending_s)
            self._baseline_pending_s = None
            self._baseline_status = "collecting"
        c = self._collector
        if c is not None and self._baseline_status == "collecting":
            c.add(now, hr, ln_rmssd)
            if c.done(now):
                result = c.result()
                if result is None:
                    self._baseline_status = "failed"
                else:
                    self.profile, self._baseline_status = result, "ready"
                    self._tracker.reset()
        out: dict[str, Any] = {"status": self._baseline_status}
        if c is not None:
            out.update(
                start_t_ns=c.start_ns,
                end_t_ns=c.end_ns,
                progress=c.progress(now),
                n_samples=c.n_samples,
            )
            if self._baseline_status == "failed":
                out["reason"] = (
                    f"only {c.n_samples} updates with both HR and lnRMSSD "
                    f"(needs {c.min_samples}); re-take the baseline"
                )
        if self.profile is not None:
            if self._profile_json[0] is not self.profile:
                self._profile_json = (self.profile, self.profile.to_json())
            out["profile"] = self._profile_json[1]
            out["source"] = self.profile.source
        return out

    def _empty(self, now: int, beats: dict, reason: str) -> PersonMetrics:
        names = [
            "hr_bpm",
            "rmssd_ms",
            "ln_rmssd",
            "sdnn_ms",
            "lf_power_ms2",
            "hf_power_ms2",
            "ln_hf",
            "rsa_ln_ms2",
            "arousal_index",
            "state",
        ]
        cfg = self.config
        return PersonMetrics(
            t_ns=now, hr_bpm=None, rmssd_ms=None, ln_rmssd=None, sdnn_ms=None,
            n_beats=0, n_diffs=0, artifact_share=0.0, hr_artifact_share=0.0,
            spectral_artifact_share=None,
            artifacts={k: 0 for k in KIND_NAMES[1:]},
            lf_power_ms2=None, hf_power_ms2=None, ln_hf=None, rsa_ln_ms2=None,
            spectral_t_ns=None, arousal_index=None, state=None, state_since_ns=None,
            baseline={"status": self._baseline_status},
            window_s=cfg.window_s, hr_window_s=cfg.hr_window_s,
            spectral_window_s=cfg.spectral_window_s, beats=beats,
            unavailable=dict.fromkeys(names, reason),
        )  # fmt: skip


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
