"""A person's own baseline, the arousal index against it, and the state shown.

Everything here is an *indicator relative to the person's own baseline*, never a
diagnosis. Formulas, thresholds and their rationale: docs/metrics.md.

- Baseline: the median and the robust SD (1.4826 × the median absolute deviation)
  of the person's displayed HR (bpm) and lnRMSSD during a resting period (default
  the first 3 min of the session), or a stored profile. The SDs have floors (5 bpm,
  0.2 ln units, from a real 1-hour recording): a quiet baseline stretch must not turn
  ordinary fluctuation into large z values.
- Arousal index A = (z_HR − z_lnRMSSD) / 2: positive when HR is above and vagal tone
  below the person's baseline; 0 is "as at baseline", 1 is "one baseline SD away".
- States with hysteresis and a minimum dwell: settled → activated at A ≥ 1.5, back
  below 1.0; activated → highly activated at A ≥ 3.0, back below 2.5. A state is held
  at least `min_dwell_s` before it may change.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from coregulate.signal.dyad import DEFAULT_BASELINE_S

NS_PER_S: Final = 1_000_000_000
PROFILE_FORMAT: Final = "coregulate.baseline"
PROFILE_VERSION: Final = 1
# Floors of the baseline SDs, from pyhrv's real 1-hour NN series (docs/metrics.md,
# "Baseline on real data"): the median SD of the 10 s HR within 3 minutes (4.9 bpm)
# and the SD of lnRMSSD's 3-minute medians across the hour (0.18), rounded up.
HR_SD_FLOOR_BPM: Final = 5.0
LN_RMSSD_SD_FLOOR: Final = 0.2
MAD_TO_SD: Final = 1.4826  # the MAD of a normal distribution is 0.6745 SD

SETTLED: Final = "settled"
ACTIVATED: Final = "activated"
HIGHLY_ACTIVATED: Final = "highly activated"
STATES: Final = (SETTLED, ACTIVATED, HIGHLY_ACTIVATED)


class BaselineError(ValueError):
    """A baseline profile that cannot be used; the message says what to do."""


@dataclass(frozen=True, slots=True)
class BaselineProfile:
    """A person's resting reference: centres and SDs of HR and lnRMSSD.

    ``*_mean`` is the centre: for a baseline taken since issue 13 the median (the
    stored format keeps its field names), ``*_sd`` the robust SD (1.4826 × MAD).
    ``source`` is "session" (taken in this session) or "profile" (loaded);
    ``n_samples`` is how many metric updates the values rest on.
    """

    hr_bpm_mean: float
    hr_bpm_sd: float
    ln_rmssd_mean: float
    ln_rmssd_sd: float
    n_samples: int
    duration_s: float
    source: str = "session"

    def to_json(self) -> dict[str, Any]:
        """Return the stored-profile JSON object (format in docs/metrics.md)."""
        body = asdict(self)
        body.pop("source")
        return {"format": PROFILE_FORMAT, "version": PROFILE_VERSION, **body}

    @classmethod
    def from_json(cls, obj: Any) -> BaselineProfile:
        """Return the profile in a stored-profile JSON object, or raise BaselineError."""
        if not isinstance(obj, dict) or obj.get("format") != PROFILE_FORMAT:
            raise BaselineError(
                f'not a baseline profile: expected a JSON object with "format": '
                f'"{PROFILE_FORMAT}"; write one with save_baseline_profile()'
            )
        if obj.get("version") != PROFILE_VERSION:
            raise BaselineError(
                f"baseline profile version {obj.get('version')!r} is not supported "
                f"(this program reads version {PROFILE_VERSION}); re-take the baseline"
            )
        values = {}
        for key in ("hr_bpm_mean", "hr_bpm_sd", "ln_rmssd_mean", "ln_rmssd_sd", "duration_s"):
            v = obj.get(key)
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise BaselineError(f"baseline profile field {key!r} must be a finite number")
            values[key] = float(v)
        n = obj.get("n_samples")
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise BaselineError("baseline profile field 'n_samples' must be a positive integer")
        if not 20.0 <= values["hr_bpm_mean"] <= 250.0:
            raise BaselineError(f"baseline HR {values['hr_bpm_mean']} bpm is implausible")
        if values["hr_bpm_sd"] < 0 or values["ln_rmssd_sd"] < 0:
            raise BaselineError("baseline SDs must not be negative")
        return cls(n_samples=n, source="profile", **values)

    @classmethod
    def load(cls, path: str | Path) -> BaselineProfile:
        """Return the profile stored at `path`, or raise BaselineError saying why not."""
        try:
            obj = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise BaselineError(f"cannot read baseline profile {path}: {exc.strerror}") from exc
        except json.JSONDecodeError as exc:
            raise BaselineError(f"baseline profile {path} is not valid JSON: {exc}") from exc
        return cls.from_json(obj)


def arousal_index(hr: float, ln_rmssd: float, profile: BaselineProfile) -> float:
    """Return A = (z(HR) − z(lnRMSSD)) / 2 against `profile`, SDs floored.

    Examples
    --------
    >>> p = BaselineProfile(70.0, 2.0, 3.5, 0.3, 100, 180.0)
    >>> round(arousal_index(80.0, 3.2, p), 9)  # z_HR = 10 / 5 (floor), z_ln = -0.3 / 0.3
    1.5
    """
    z_hr = (hr - profile.hr_bpm_mean) / max(profile.hr_bpm_sd, HR_SD_FLOOR_BPM)
    z_ln = (ln_rmssd - profile.ln_rmssd_mean) / max(profile.ln_rmssd_sd, LN_RMSSD_SD_FLOOR)
    return 0.5 * (z_hr - z_ln)


class BaselineCollector:
    """Collects displayed HR and lnRMSSD over a resting period and yields the profile.

    Parameters
    ----------
    start_ns
        Session time at which collection starts.
    duration_s
        Length of the resting period.
    min_samples
        Fewest updates with both values for a usable baseline. Default: one per 2 s
        of the period, at most 30 (a strap notifies about once a second), so the
        shortest re-take the stage accepts (10 s) can succeed with 5.
    """

    def __init__(
        self,
        start_ns: int,
        duration_s: float = DEFAULT_BASELINE_S,
        min_samples: int | None = None,
    ) -> None:
        self.start_ns = int(start_ns)
        self.duration_s = float(duration_s)
        self.end_ns = self.start_ns + round(duration_s * NS_PER_S)
        if min_samples is None:
            min_samples = min(30, max(5, math.ceil(duration_s / 2.0)))
        self.min_samples = min_samples
        self._hr: list[float] = []
        self._ln: list[float] = []

    def add(self, t_ns: int, hr: float | None, ln_rmssd: float | None) -> None:
        """Record one update's values if inside the period and both are available."""
        if self.start_ns <= t_ns < self.end_ns and hr is not None and ln_rmssd is not None:
            self._hr.append(hr)
            self._ln.append(ln_rmssd)

    def done(self, t_ns: int) -> bool:
        """Return True once `t_ns` has reached the end of the period."""
        return t_ns >= self.end_ns

    def progress(self, t_ns: int) -> float:
        """Return the share (0..1) of the period that has passed at `t_ns`."""
        return min(1.0, max(0.0, (t_ns - self.start_ns) / (self.end_ns - self.start_ns)))

    @property
    def n_samples(self) -> int:
        """Return how many updates were collected so far."""
        return len(self._hr)

    def result(self) -> BaselineProfile | None:
        """Return the profile (medians, robust SDs), or None below `min_samples` updates.

        Median and MAD, not mean and SD: a cough, a laugh or a movement in the resting
        period moved the mean and inflated the SD of a 3-minute baseline.
        """
        n = len(self._hr)
        if n < self.min_samples:
            return None
        return BaselineProfile(
            hr_bpm_mean=_median(self._hr),
            hr_bpm_sd=_robust_sd(self._hr),
            ln_rmssd_mean=_median(self._ln),
            ln_rmssd_sd=_robust_sd(self._ln),
            n_samples=n,
            duration_s=self.duration_s,
        )


def _median(values: list[float]) -> float:
    return statistics.median(values)


def _robust_sd(values: list[float]) -> float:
    """Return 1.4826 × the median absolute deviation (the SD for normal data)."""
    m = statistics.median(values)
    return MAD_TO_SD * statistics.median(abs(v - m) for v in values)


@dataclass(frozen=True, slots=True)
class StateThresholds:
    """Hysteresis thresholds on the arousal index and the minimum dwell (seconds)."""

    activated_enter: float = 1.5
    activated_exit: float = 1.0
    high_enter: float = 3.0
    high_exit: float = 2.5
    min_dwell_s: float = 15.0


class StateTracker:
    """Turns a sequence of arousal index values into a state word that does not flicker."""

    def __init__(self, thresholds: StateThresholds | None = None) -> None:
        self.th = thresholds or StateThresholds()
        self.state: str | None = None
        self.since_ns = 0

    def reset(self) -> None:
        """Forget the state (a new baseline starts the indicator afresh)."""
        self.state = None
        self.since_ns = 0

    def _target(self, index: float) -> str:
        th, s = self.th, self.state
        if s == HIGHLY_ACTIVATED:
            if index >= th.high_exit:
                return HIGHLY_ACTIVATED
            return ACTIVATED if index >= th.activated_exit else SETTLED
        if s == ACTIVATED:
            if index >= th.high_enter:
                return HIGHLY_ACTIVATED
            return ACTIVATED if index >= th.activated_exit else SETTLED
        if index >= th.high_enter:
            return HIGHLY_ACTIVATED
        return ACTIVATED if index >= th.activated_enter else SETTLED

    def update(self, t_ns: int, index: float) -> str:
        """Return the state after the index value at `t_ns`."""
        target = self._target(index)
        if self.state is None or (
            target != self.state and t_ns - self.since_ns >= self.th.min_dwell_s * NS_PER_S
        ):
            self.state, self.since_ns = target, t_ns
        return self.state
