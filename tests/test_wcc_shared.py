"""A live step's window parts kept across steps (`wcc_shared.WindowRows`) equal the direct ones.

The live stage takes a single window's leading and following parts from each
person's rows kept across steps; they must be the numbers `wcc.leader_parts` and
`wcc.follower_parts` compute for that window, bit for bit, through gaps, constant
stretches, buffer renewals and jumps.
"""

from __future__ import annotations

import numpy as np

from coregulate.signal.synchrony.wcc import follower_parts, leader_parts
from coregulate.signal.synchrony.wcc_shared import PersonWindows, WindowRows, pair_batch

W, LAG, STEP = 120, 20, 4


def _bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _series(n: int, seed: int) -> np.ndarray:
    x = 70.0 + np.cumsum(np.random.default_rng(seed).normal(size=n))
    x[900:930] = np.nan  # a gap
    x[1500:1700] = 65.0  # a constant stretch (flat windows)
    return x


def _assert_parts_equal(got: tuple[np.ndarray, ...], want: tuple[np.ndarray, ...]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        assert _bits(g) == _bits(w)


def test_kept_rows_equal_the_direct_parts_step_after_step() -> None:
    x = _series(6000, 1)
    rows = WindowRows(W, LAG)
    ends = list(range(W + 2 * LAG, 2600, STEP)) + list(range(4000, 6000, STEP))  # and a jump
    seen_gap = seen_kept = 0
    for end in ends:
        one = rows.windows(x, np.array([end]))
        assert one is not None
        e = np.array([end])
        _assert_parts_equal(one.lead, leader_parts(x, e, W, LAG))
        _assert_parts_equal(one.follow, follower_parts(x, e, W, LAG))
        span = x[end - W - 2 * LAG : end]
        assert bool(one.missing_lead[0]) == (not np.isfinite(span).all())
        assert bool(one.missing_follow[0]) == (not np.isfinite(x[end - LAG - W : end - LAG]).all())
        seen_gap += bool(one.missing_lead[0])
        seen_kept += 1
    assert seen_gap > 0 and seen_kept == len(ends)


def test_kept_rows_serve_several_windows_at_once() -> None:
    x = _series(6000, 6)
    rows = WindowRows(W, LAG)
    end = W + 2 * LAG
    for n in [1, 2, 1, 3, 2, 5, 1, 2, 60, 2, 1, 30, 2] * 8:  # steps per call
        ends = np.arange(end, end + n * STEP, STEP)
        end += n * STEP
        if ends[-1] >= x.size:
            break
        kept = rows.windows(x, ends)
        if n == 60:  # more than half the buffer's rows: left to the caller
            assert kept is None
            continue
        assert kept is not None
        _assert_parts_equal(kept.lead, leader_parts(x, ends, W, LAG))
        _assert_parts_equal(kept.follow, follower_parts(x, ends, W, LAG))
        direct = PersonWindows(x, ends, W, LAG)
        assert _bits(kept.missing_lead) == _bits(direct.missing_lead)
        assert _bits(kept.missing_follow) == _bits(direct.missing_follow)


def test_a_window_before_the_kept_rows_is_left_to_the_caller() -> None:
    x = _series(3000, 2)
    rows = WindowRows(W, LAG)
    for end in range(W + 2 * LAG, 2000, STEP):
        rows.windows(x, np.array([end]))
    assert rows.windows(x, np.array([W + 2 * LAG])) is None
    # PersonWindows then computes the window directly: the same numbers.
    e = np.array([W + 2 * LAG])
    kept = PersonWindows(x, e, W, LAG, rows)
    _assert_parts_equal(kept.lead, leader_parts(x, e, W, LAG))
    _assert_parts_equal(kept.follow, follower_parts(x, e, W, LAG))


def test_parts_handed_out_keep_their_values_when_the_rows_move_on() -> None:
    x = _series(8000, 3)
    rows = WindowRows(W, LAG)
    first = rows.windows(x, np.array([400]))  # views of the rows
    assert first is not None
    before = [_bits(p) for p in (*first.lead, *first.follow)]
    for end in range(404, 8000, STEP):  # many buffer renewals
        rows.windows(x, np.array([end]))
    assert [_bits(p) for p in (*first.lead, *first.follow)] == before


def test_pair_windows_from_kept_rows_equal_the_direct_ones() -> None:
    x, y = _series(3000, 4), _series(3000, 5)
    rx, ry = WindowRows(W, LAG), WindowRows(W, LAG)
    for end in range(W + 2 * LAG, 3000, STEP):
        e = np.array([end])
        kept = pair_batch(PersonWindows(x, e, W, LAG, rx), PersonWindows(y, e, W, LAG, ry))
        direct = pair_batch(PersonWindows(x, e, W, LAG), PersonWindows(y, e, W, LAG))
        for name in ("r", "peak_r", "peak_z", "peak_lag", "r_lag0", "reason"):
            assert _bits(getattr(kept, name)) == _bits(getattr(direct, name)), (end, name)


def test_a_pair_catching_up_keeps_its_rows_through_buffer_renewals() -> None:
    # Each call asks for 41 windows, most of them already kept (one pair catching up
    # while the person's other pairs are ahead): the renewal must keep all their rows.
    x = _series(4000, 7)
    rows = WindowRows(W, LAG)
    for end in range(W + 2 * LAG + 40 * STEP, 2000, STEP):
        ends = np.arange(end - 40 * STEP, end + 1, STEP)
        kept = rows.windows(x, ends)
        assert kept is not None
        _assert_parts_equal(kept.lead, leader_parts(x, ends, W, LAG))
        _assert_parts_equal(kept.follow, follower_parts(x, ends, W, LAG))
