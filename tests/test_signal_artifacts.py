"""Causal Lipponen & Tarvainen beat classification against NeuroKit2's kubios method."""

from __future__ import annotations

import numpy as np
import pytest

from coregulate.acquisition.simulator import (
    BEAT_NORMAL,
    DyadConfig,
    PersonProfile,
    simulate_dyad,
)
from coregulate.signal.artifacts import (
    ECTOPIC,
    EXTRA,
    KIND_NAMES,
    LONGSHORT,
    MERGED,
    MISSED,
    NORMAL,
    CausalArtifactClassifier,
    classify_series,
    quartile_threshold,
)
from signal_support import pyhrv_nn

nk = pytest.importorskip("neurokit2")

_NK_CODES = {"ectopic": ECTOPIC, "missed": MISSED, "extra": EXTRA, "longshort": LONGSHORT}


def _nk_kinds(rr_ticks: np.ndarray) -> np.ndarray:
    """Classes by nk.signal_fixpeaks(method="kubios", iterative=False), one per interval."""
    peaks = np.concatenate([[0], np.cumsum(rr_ticks)])
    info, _ = nk.signal_fixpeaks(
        peaks, sampling_rate=1024, method="kubios", iterative=False, show=False
    )
    kinds = np.zeros(rr_ticks.size, dtype=np.int8)
    for name, code in _NK_CODES.items():
        for i in info[name]:
            if i >= 1:  # NeuroKit2's index i is the interval ending at peak i
                kinds[i - 1] = code
    return kinds


def _simulated_ticks(seed: int, **rates: float) -> tuple[np.ndarray, np.ndarray]:
    cfg = DyadConfig(client=PersonProfile(**rates), duration_s=900.0, seed=seed)
    truth = simulate_dyad(cfg).truth["client"]
    return np.round(truth.rr_ms * 1.024).astype(np.int64), truth.kind


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_classification_agrees_with_neurokit2_kubios(seed: int) -> None:
    ticks, _ = _simulated_ticks(seed, ectopic_rate=0.02, missed_rate=0.01, extra_rate=0.01)
    rr = ticks * 1000.0 / 1024.0
    kind, _ = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    kind = np.where(kind == MERGED, NORMAL, kind)  # the interval after an extra: not judged
    ref = _nk_kinds(ticks)
    # The criterion: the same artifact/normal decision on >= 95 % of beats...
    assert np.mean((kind != NORMAL) == (ref != NORMAL)) >= 0.95
    # ...and the same class on >= 95 % (measured 98-99 % on these seeds).
    assert np.mean(kind == ref) >= 0.95


def test_injected_artifacts_are_found() -> None:
    ticks, truth = _simulated_ticks(5, ectopic_rate=0.02, missed_rate=0.01, extra_rate=0.01)
    rr = ticks * 1000.0 / 1024.0
    kind, _ = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    injected = truth != BEAT_NORMAL
    flagged = kind != NORMAL
    # An ectopic beat marks both its intervals in the truth; the tree flags at least
    # one of the pair, so count events: an injected interval or its neighbour.
    near = flagged | np.roll(flagged, 1) | np.roll(flagged, -1)
    assert np.mean(near[injected]) >= 0.9
    assert np.mean(flagged[~injected]) <= 0.02


def test_clean_real_series_is_mostly_normal() -> None:
    nn = pyhrv_nn("Short")
    if nn is None:
        pytest.skip("pyhrv sample series not present")
    kind, _ = classify_series(np.cumsum(nn).astype(np.int64) * 1_000_000, nn)
    ref = _nk_kinds(nn.astype(np.int64) * 1024 // 1000)
    assert np.mean((kind != NORMAL) == (ref != NORMAL)) >= 0.95
    assert np.mean(kind != NORMAL) < 0.05


def _regular(n: int = 60) -> np.ndarray:
    return 800.0 + np.tile([0.0, 12.0, 5.0], n // 3 + 1)[:n]


def test_missed_beat_is_halved() -> None:
    rr = _regular()
    rr[30] = rr[30] * 2
    kind, nn = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    assert KIND_NAMES[kind[30]] == "missed"
    assert nn[30] == rr[30] / 2


def test_extra_detection_is_merged_into_the_next_interval() -> None:
    rr = _regular()
    normal = rr[30]
    rr[30], rr[31] = 0.4 * normal, 0.6 * normal + (rr[31] - normal)
    kind, nn = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    assert KIND_NAMES[kind[30]] == "extra" and np.isnan(nn[30])
    assert KIND_NAMES[kind[31]] == "merged"
    assert nn[31] == pytest.approx(rr[30] + rr[31])


def test_ectopic_pair_is_corrected_to_the_local_median() -> None:
    rr = _regular()
    normal = rr[30]
    rr[30], rr[31] = 0.6 * normal, 1.4 * normal
    kind, nn = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr)
    assert {KIND_NAMES[k] for k in kind[30:32]} <= {"ectopic", "longshort"}
    assert kind[30] != NORMAL and kind[31] != NORMAL
    assert np.all(np.abs(nn[30:32] - 805.0) <= 12.0)
    assert np.all(kind[:30] == NORMAL) and np.all(kind[33:] == NORMAL)


def test_streaming_in_notifications_equals_the_whole_series() -> None:
    ticks, _ = _simulated_ticks(7, ectopic_rate=0.03, missed_rate=0.02)
    rr = ticks * 1000.0 / 1024.0
    t = np.cumsum(rr).astype(np.int64) * 1_000_000
    kind, nn = classify_series(t, rr)
    clf = CausalArtifactClassifier()
    out = []
    for i in range(0, rr.size, 3):
        for j in range(i, min(i + 3, rr.size)):
            out += clf.update(int(t[j]), float(rr[j]), False)
    out += clf.flush()
    assert [k for _, _, k in out] == kind.tolist()
    np.testing.assert_array_equal(np.array([v for _, v, _ in out]), nn)


def test_a_gap_ends_the_run_and_no_difference_spans_it() -> None:
    rr = _regular(40)
    gap = np.zeros(40, bool)
    gap[20] = True
    rr[20:] += 400.0  # a jump across the gap is not an artifact
    kind, _ = classify_series(np.cumsum(rr).astype(np.int64) * 1_000_000, rr, gap)
    assert np.all(kind == NORMAL)


def test_quartile_threshold_equals_numpy_percentiles() -> None:
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 90, 91):
        a = rng.exponential(size=n)
        q1, q3 = np.percentile(a, [25, 75])
        assert quartile_threshold(a, 5.2) == pytest.approx(5.2 * (q3 - q1) / 2, rel=1e-12)


def test_the_sorted_window_matches_numpy_on_a_stream() -> None:
    from coregulate.signal.artifacts import _SortedWindow

    rng = np.random.default_rng(2)
    values = rng.exponential(size=300)
    window = _SortedWindow(91)
    for i, v in enumerate(values):
        window.push(float(v))
        recent = values[max(0, i - 90) : i + 1]
        q1, q3 = np.percentile(recent, [25, 75])
        assert window.threshold(5.2) == pytest.approx(5.2 * (q3 - q1) / 2, rel=1e-12)
        assert window.median() == float(np.median(recent))
    small = _SortedWindow(11)
    for v in values[:20]:
        small.push(float(v))
    assert small.median() == float(np.median(values[9:20]))


def test_a_missed_beat_in_the_first_beats_does_not_inflate_the_first_minute() -> None:
    """Before the adaptive thresholds are warm, the 20 % rule catches artifacts.

    Reference: the same beats without the artifact. Seen in a simulated session
    (demo_config(seed=4)): the therapist strap missed its 8th beat, and the first
    minute's RMSSD read ~400 ms instead of ~50 ms.
    """
    from coregulate.signal.person import PersonSignal

    rng = np.random.default_rng(0)
    clean = np.round(900 + 40 * np.sin(np.arange(70) * 2 * np.pi / 4.2) + rng.normal(0, 8, 70))
    missed = np.concatenate([clean[:7], [clean[7] + clean[8]], clean[9:]])

    def rmssd_after(rr: np.ndarray, n: int) -> float:
        person = PersonSignal()
        t_ns = np.cumsum(rr).astype(np.int64) * 1_000_000
        for i in range(n):
            metrics = person.update([int(t_ns[i])], [float(rr[i])], i == 0)
        assert metrics.rmssd_ms is not None
        return metrics.rmssd_ms

    reference = rmssd_after(clean, 41)
    # The missed beat is split in two (corrected), so 40 intervals become 41 beats' worth.
    assert rmssd_after(missed, 40) == pytest.approx(reference, rel=0.2)
