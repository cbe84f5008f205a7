"""The steps of one person's metrics update: HR, time domain, spectral, baseline and state.

:class:`~coregulate.signal.person.PersonSignal` runs :data:`STEPS` in order on the
classified beats it keeps, then :class:`ArousalState`, and joins what they wrote
into one payload in the catalogue's order (``signal/catalogue.py``), the way
NeuroKit2's ``hrv()`` joins ``hrv_time`` and ``hrv_frequency``. A step is made once
per person from the config (``step = Step(config)``) and called once per update
(``step(update)``); it writes its values into ``update.values`` and, for each value
it cannot give, the reason into ``update.unavailable``.

A new metric is one catalogue entry plus a step appended to :data:`STEPS`.
Definitions, parameters and tolerances: docs/metrics.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from coregulate.signal.artifacts import KIND_NAMES, NORMAL
from coregulate.signal.baseline import (
    NS_PER_S,
    BaselineCollector,
    BaselineProfile,
    StateTracker,
    arousal_index,
)
from coregulate.signal.gap_bridge import (
    MAX_BRIDGED_GAP_S,
    MAX_BRIDGED_SHARE,
    bridged_start,
    fill_gaps,
)
from coregulate.signal.hrv import HF_BAND_HZ, LF_BAND_HZ, band_powers_ms2
from coregulate.signal.rsa import rsa_ln_ms2

if TYPE_CHECKING:
    from coregulate.signal.person import PersonConfig

_SPECTRAL: Final = ("lf_power_ms2", "hf_power_ms2", "rsa_ln_ms2")


def num(x: float | None) -> float | None:
    """Return `x` as a float, or None when it is None, NaN or infinite."""
    return None if x is None or not math.isfinite(x) else float(x)


@dataclass(slots=True)
class Update:
    """One update: the kept classified beats (oldest first) and what the steps found.

    The beats end at `now_ns`, the newest classified beat; `seg` numbers the
    contiguous runs (a gap starts a new one), `kind` is the artifact class.
    """

    now_ns: int
    t_ns: np.ndarray
    nn_ms: np.ndarray
    seg: np.ndarray
    kind: np.ndarray
    values: dict[str, Any]
    unavailable: dict[str, str]

    def start(self, window_s: float) -> int:
        """Return the index of the first beat inside the trailing `window_s`."""
        # The method, not np.searchsorted: its wrapper costs more than the search here.
        return int(self.t_ns.searchsorted(self.now_ns - int(window_s * NS_PER_S), side="right"))


Step = Callable[[Update], None]


class _ConfiguredStep:
    """A step made once per person from the config (``step = Step(config)``)."""

    def __init__(self, config: PersonConfig) -> None:
        self.config = config


class HeartRate(_ConfiguredStep):
    """HR (bpm) = 60000 / mean NN over the short window (NeuroKit2 ``hrv_time``)."""

    def __call__(self, u: Update) -> None:
        """Write `hr_bpm` and `hr_artifact_share`."""
        cfg = self.config
        lo = u.start(cfg.hr_window_s)
        nn, kind = u.nn_ms[lo:], u.kind[lo:]
        share = float(np.count_nonzero(kind != NORMAL)) / kind.size
        finite = np.isfinite(nn)
        ok = nn if finite.all() else nn[finite]  # no copy when nothing is missing
        hr = None
        if share > cfg.max_hr_artifact_share:
            u.unavailable["hr_bpm"] = (
                f"{share:.0%} of the beats in the last {cfg.hr_window_s:g} s were corrected "
                f"(more than {cfg.max_hr_artifact_share:.0%})"
            )
        elif ok.size == 0:
            u.unavailable["hr_bpm"] = f"no beats in the last {cfg.hr_window_s:g} s"
        else:
            hr = 60000.0 * ok.size / float(ok.sum())
        u.values["hr_bpm"] = hr
        u.values["hr_artifact_share"] = share


class TimeDomain(_ConfiguredStep):
    """RMSSD, lnRMSSD and SDNN over the main window (NeuroKit2 ``hrv_time``), and artifacts."""

    def __call__(self, u: Update) -> None:
        """Write RMSSD, lnRMSSD, SDNN, the beat and difference counts, the artifact share."""
        cfg = self.config
        lo = u.start(cfg.window_s)
        nn, seg, kind = u.nn_ms[lo:], u.seg[lo:], u.kind[lo:]
        n_beats = int(nn.size)
        counts = np.bincount(kind, minlength=len(KIND_NAMES)).tolist()
        share = float(n_beats - counts[NORMAL]) / n_beats
        keep = np.isfinite(nn)
        nn_k, seg_k = (nn, seg) if keep.all() else (nn[keep], seg[keep])
        # Successive differences only within one contiguous run (np.diff's values; the
        # run ids never decrease, so equal ends mean one run and nothing to drop).
        d = nn_k[1:] - nn_k[:-1]
        if seg_k.size and seg_k[0] != seg_k[-1]:
            d = d[seg_k[1:] == seg_k[:-1]]
        rmssd = sdnn = ln_rmssd = None
        reason = self._reason(share, int(d.size))
        if reason is not None:
            u.unavailable.update(rmssd_ms=reason, ln_rmssd=reason, sdnn_ms=reason)
        else:
            # Plain sums: the same values as np.mean / np.std(ddof=1) to rounding, at a
            # third of the per-call overhead on windows of ~70 beats.
            rmssd = math.sqrt(float(d @ d) / d.size)
            dev = nn_k - float(nn_k.sum()) / nn_k.size
            sdnn = math.sqrt(float(dev @ dev) / (nn_k.size - 1))
            if rmssd > 0:
                ln_rmssd = math.log(rmssd)
            else:
                u.unavailable["ln_rmssd"] = "RMSSD is 0 (identical intervals): no logarithm"
        u.values.update(
            rmssd_ms=rmssd,
            ln_rmssd=ln_rmssd,
            sdnn_ms=sdnn,
            n_beats=n_beats,
            n_diffs=int(d.size),
            artifact_share=share,
            artifacts=dict(zip(KIND_NAMES[1:], counts[1:], strict=True)),
        )

    def _reason(self, share: float, n_diffs: int) -> str | None:
        cfg = self.config
        if share > cfg.max_artifact_share:
            return (
                f"{share:.0%} of the beats in the last {cfg.window_s:g} s were "
                f"corrected (more than {cfg.max_artifact_share:.0%})"
            )
        if n_diffs < cfg.min_diffs:
            return (
                f"{n_diffs} successive intervals in the last {cfg.window_s:g} s "
                f"(needs {cfg.min_diffs})"
            )
        return None


class Spectral:
    """LF and HF power (NeuroKit2 ``hrv_frequency``) and RSA (Porges-Bohrer), every step."""

    def __init__(self, config: PersonConfig) -> None:
        self.config = config
        self.values: tuple[float, float, float] = (math.nan, math.nan, math.nan)
        self.t_ns: int | None = None
        self.share: float | None = None
        self.bridged_s: list[float] | None = None
        self.reasons: dict[str, str] = {}

    def __call__(self, u: Update) -> None:
        """Write LF, HF, lnHF and RSA (recomputed every `spectral_step_s`) and their window."""
        step_ns = int(self.config.spectral_step_s * NS_PER_S)
        if self.t_ns is None or u.now_ns - self.t_ns >= step_ns:
            self._compute(u)
        lf, hf, rsa = (num(x) for x in self.values)
        for name, value in zip(_SPECTRAL, (lf, hf, rsa), strict=True):
            if value is None:
                u.unavailable[name] = self.reasons.get(name, "not computed yet")
        ln_hf = math.log(hf) if hf is not None and hf > 0 else None
        if ln_hf is None:
            u.unavailable["ln_hf"] = u.unavailable.get("hf_power_ms2", "HF power is 0")
        u.values.update(
            spectral_artifact_share=self.share,
            lf_power_ms2=lf,
            hf_power_ms2=hf,
            ln_hf=ln_hf,
            rsa_ln_ms2=rsa,
            spectral_t_ns=self.t_ns,
            spectral_bridged_gaps_s=self.bridged_s,
        )

    def _compute(self, u: Update) -> None:
        cfg = self.config
        self.t_ns = u.now_ns
        lo = u.start(cfg.spectral_window_s)
        # The newest run, extended back across short gaps only (signal/gap_bridge.py).
        first, gaps = bridged_start(u.t_ns[lo:], u.nn_ms[lo:], u.seg[lo:], cfg.spectral_window_s)
        lo += first
        t, nn, kind = u.t_ns[lo:], u.nn_ms[lo:], u.kind[lo:]
        keep = np.isfinite(nn)
        span_s = (t[-1] - t[0]) / NS_PER_S if t.size else 0.0
        self.share = float(np.count_nonzero(kind != NORMAL)) / max(1, kind.size)
        self.bridged_s = [round(hole, 1) for _, hole in gaps]
        reason = self._reason(span_s, self.share, first > 0)
        if reason is not None:
            self.values = (math.nan, math.nan, math.nan)
            self.reasons = dict.fromkeys(_SPECTRAL, reason)
            return
        t_s = (t[keep] - t[keep][0]) / NS_PER_S
        nn_k = nn[keep]
        if gaps:
            # Indices into the kept beats; a gap right after the window's first beat
            # has nothing before it to interpolate from.
            at = [(int(np.count_nonzero(keep[: b - first])), h) for b, h in gaps]
            t_s, nn_k = fill_gaps(t_s, nn_k, [(b, h) for b, h in at if b > 0])
        lf, hf = band_powers_ms2(t_s, nn_k, cfg.interpolation_hz, (LF_BAND_HZ, HF_BAND_HZ))
        self.values = (lf, hf, rsa_ln_ms2(t_s, nn_k))
        self.reasons = {
            "lf_power_ms2": "no power in the band",
            "hf_power_ms2": "no power in the band",
            "rsa_ln_ms2": "no complete 30 s epoch after filtering",
        }

    def _reason(self, span_s: float, share: float, after_gap: bool) -> str | None:
        cfg = self.config
        if span_s < cfg.min_spectral_coverage * cfg.spectral_window_s:
            since = (
                f" since a gap too long to bridge (over {MAX_BRIDGED_GAP_S:g} s, or over "
                f"{MAX_BRIDGED_SHARE:.1%} of the window in all)"
                if after_gap
                else ""
            )
            return (
                f"{span_s:.0f} s of contiguous beats{since} (needs "
                f"{cfg.min_spectral_coverage * cfg.spectral_window_s:.0f} s)"
            )
        if share > cfg.max_artifact_share:
            return (
                f"{share:.0%} of the beats in the last {cfg.spectral_window_s:g} s were "
                f"corrected (more than {cfg.max_artifact_share:.0%})"
            )
        return None


# The domain steps, in the order they run. ArousalState runs after them: it needs
# HR and lnRMSSD, and PersonSignal steers its baseline.
STEPS: tuple[Callable[[PersonConfig], Step], ...] = (HeartRate, TimeDomain, Spectral)


class ArousalState:
    """The baseline (collected or stored), the arousal index against it, and the state word."""

    def __init__(self, config: PersonConfig, profile: BaselineProfile | None) -> None:
        self.config = config
        self.profile = profile
        self._profile_json: tuple[BaselineProfile | None, dict] = (None, {})
        self._collector: BaselineCollector | None = None
        self.status = "profile" if profile is not None else "waiting"
        self._pending_s: float | None = None
        if profile is None and config.baseline_s > 0:
            self._pending_s = config.baseline_s
        elif profile is None:
            self.status = "none"
        self._tracker = StateTracker(config.thresholds)

    def retake(self, duration_s: float) -> None:
        """Start a new resting period of `duration_s` at the next update."""
        self._restart(None, duration_s, "waiting")

    def use_profile(self, profile: BaselineProfile) -> None:
        """Use a stored profile as the baseline from now on."""
        self._restart(profile, None, "profile")

    def restart_state(self) -> None:
        """Forget the state word and since when (after no signal); the baseline stays."""
        self._tracker.reset()

    def _restart(
        self, profile: BaselineProfile | None, pending_s: float | None, status: str
    ) -> None:
        """Drop the collected baseline and the state: the indicator starts again."""
        self.profile, self._pending_s, self.status = profile, pending_s, status
        self._collector = None
        self._tracker.reset()

    def __call__(self, u: Update) -> None:
        """Write `arousal_index`, `state`, `state_since_ns` and `baseline`."""
        hr, ln_rmssd = u.values["hr_bpm"], u.values["ln_rmssd"]
        baseline = self._update_baseline(u.now_ns, hr, ln_rmssd)
        index = state = since = None
        if self.profile is None:
            u.unavailable["arousal_index"] = f"no baseline yet ({self.status})"
        elif hr is None or ln_rmssd is None:
            u.unavailable["arousal_index"] = "needs both HR and lnRMSSD"
        else:
            index = arousal_index(hr, ln_rmssd, self.profile)
            state = self._tracker.update(u.now_ns, index)
            since = self._tracker.since_ns
        if state is None:
            u.unavailable["state"] = u.unavailable["arousal_index"]
        u.values.update(arousal_index=index, state=state, state_since_ns=since, baseline=baseline)

    def _update_baseline(self, now: int, hr: float | None, ln_rmssd: float | None) -> dict:
        if self._pending_s is not None:
            # A session's baseline starts at its first classified beat, a re-take at
            # the update after it was asked for.
            self._collector = BaselineCollector(now, self._pending_s)
            self._pending_s = None
            self.status = "collecting"
        c = self._collector
        if c is not None and self.status == "collecting":
            c.add(now, hr, ln_rmssd)
            if c.done(now):
                result = c.result()
                if result is None:
                    self.status = "failed"
                else:
                    self.profile, self.status = result, "ready"
                    self._tracker.reset()
        return self._baseline_payload(now)

    def _baseline_payload(self, now: int) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        c = self._collector
        if c is not None:
            out.update(
                start_t_ns=c.start_ns,
                end_t_ns=c.end_ns,
                progress=c.progress(now),
                n_samples=c.n_samples,
            )
            if self.status == "failed":
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
