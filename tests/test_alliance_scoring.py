"""SRS, ORS and WAI-SR scoring against hand-worked forms, boundaries and invalid input.

References: SRS total <= 36 flags a concern and ORS adult cut-off 25 with reliable
change 5 (Duncan et al. 2003; Miller et al. 2003); WAI-SR Task 1,2,10,12 / Bond
3,5,7,9 / Goal 4,6,8,11, items 1-5, none reversed (Hatcher & Gillaspy 2006).
Every expected value below is worked by hand in the comment beside it.
"""

from __future__ import annotations

import math

import pytest

from coregulate.alliance import RatingError, instrument, score
from coregulate.alliance.change import ors_change
from coregulate.alliance.instruments import ORS, SRS, WAI_SR
from coregulate.alliance.rating import rating_payload, read_rating


@pytest.mark.parametrize(
    ("items", "total", "concern"),
    [
        ([9, 9, 9, 9], 36.0, True),  # exactly the cut-off: 36 <= 36 flags
        ([9, 9, 9, 9.1], 36.1, False),  # one millimetre above: no flag
        ([8.7, 9.1, 9.3, 8.9], 36.0, True),  # 8.7+9.1+9.3+8.9 = 36.0 despite float error
        ([10, 10, 10, 10], 40.0, False),
        ([0, 0, 0, 0], 0.0, True),
        ([7.5, 8.2, 6.9, 7.0], 29.6, True),  # 7.5+8.2+6.9+7.0 = 29.6
    ],
)
def test_srs_total_and_concern(items, total, concern) -> None:
    s = score(SRS, items)
    assert s.total == total
    assert s.flags == {"concern": concern}
    assert s.subscales == {}


@pytest.mark.parametrize(
    ("items", "total", "clinical"),
    [
        ([6.25, 6.25, 6.25, 6.25], 25.0, False),  # exactly 25 is at the cut-off, not below
        ([6.2, 6.3, 6.2, 6.2], 24.9, True),  # 24.9 < 25: clinical range
        ([3.1, 4.0, 5.2, 2.7], 15.0, True),  # 3.1+4.0+5.2+2.7 = 15.0
        ([10, 10, 10, 10], 40.0, False),
    ],
)
def test_ors_total_and_clinical_range(items, total, clinical) -> None:
    s = score(ORS, items)
    assert s.total == total
    assert s.flags == {"clinical_range": clinical}


def test_wai_sr_subscales_are_sums_of_the_published_items() -> None:
    answers = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 1, 2]
    s = score(WAI_SR, answers)
    # Task = items 1, 2, 10, 12 = 1 + 2 + 5 + 2 = 10
    # Bond = items 3, 5, 7, 9  = 3 + 5 + 2 + 4 = 14
    # Goal = items 4, 6, 8, 11 = 4 + 1 + 3 + 1 = 9
    # Total = 10 + 14 + 9 = 33; means 10/4, 14/4, 9/4, 33/12
    assert s.total == 33
    assert s.subscales == {
        "task": 10,
        "task_mean": 2.5,
        "bond": 14,
        "bond_mean": 3.5,
        "goal": 9,
        "goal_mean": 2.25,
        "total_mean": 2.75,
    }
    assert s.flags == {}


def test_wai_sr_extremes() -> None:
    low, high = score(WAI_SR, [1] * 12), score(WAI_SR, [5] * 12)
    assert (low.total, low.subscales["bond"], low.subscales["goal_mean"]) == (12, 4, 1.0)
    assert (high.total, high.subscales["task"], high.subscales["total_mean"]) == (60, 20, 5.0)


def test_wai_sr_item_names_follow_the_subscales() -> None:
    for sub, numbers in WAI_SR.subscales.items():
        for n in numbers:
            assert WAI_SR.item_names[n - 1].lower().startswith(sub)
    assert sorted(n for ns in WAI_SR.subscales.values() for n in ns) == list(range(1, 13))


@pytest.mark.parametrize(
    ("inst", "items", "message"),
    [
        (SRS, [9, 9, 9], "has 4 items; got 3 answers"),
        (SRS, [9, 9, 9, 9, 9], "got 5 answers"),
        (SRS, [9, None, 9, 9], "item 2 (Goals and Topics) is unanswered"),
        (SRS, [9, 9, 10.1, 9], "item 3 (Approach or Method) is 10.1; answers run from 0 to 10"),
        (ORS, [-0.1, 5, 5, 5], "item 1 (Individually) is -0.1"),
        (ORS, [5, 5, math.nan, 5], "not a finite number"),
        (ORS, [5, "7", 5, 5], "'7', not a number"),
        (ORS, [5, True, 5, 5], "True, not a number"),
        (WAI_SR, [3] * 11 + [0], "item 12 (Task item 12) is 0; answers run from 1 to 5"),
        (WAI_SR, [3] * 11 + [6], "answers run from 1 to 5"),
        (WAI_SR, [3.5] + [3] * 11, "takes whole numbers 1-5"),
        (SRS, "9999", "must be a list"),
    ],
)
def test_invalid_forms_are_rejected_with_a_clear_message(inst, items, message) -> None:
    with pytest.raises(RatingError) as info:
        score(inst, items)
    assert message in str(info.value)


def test_unknown_instrument() -> None:
    assert instrument("wai_sr") is WAI_SR
    with pytest.raises(RatingError, match="unknown instrument 'PHQ-9'; choose one of SRS, ORS"):
        instrument("PHQ-9")


@pytest.mark.parametrize(
    ("intake", "now", "change", "improved", "worse", "significant"),
    [
        (20.0, 25.0, 5.0, True, False, True),  # exactly +5 is reliable; crosses 25
        (20.1, 25.0, 4.9, False, False, False),  # +4.9 is not
        (24.9, 29.9, 5.0, True, False, True),  # float: 29.9 - 24.9 is 5 after rounding
        (26.0, 31.0, 5.0, True, False, False),  # reliable, but started above the cut-off
        (18.0, 24.0, 6.0, True, False, False),  # reliable, still below 25
        (30.0, 25.0, -5.0, False, True, False),  # exactly -5: reliable deterioration
        (30.0, 25.1, -4.9, False, False, False),
    ],
)
def test_ors_reliable_and_clinically_significant_change(
    intake, now, change, improved, worse, significant
) -> None:
    c = ors_change(intake, now)
    assert c.change == pytest.approx(change, abs=1e-9)
    assert (c.reliable_improvement, c.reliable_deterioration) == (improved, worse)
    assert c.clinically_significant is significant


def test_rating_payload_round_trip_and_tamper_check() -> None:
    payload = rating_payload(score(SRS, [9, 9.5, 8, 9]), "client", "end", 123, 4)
    assert payload["total"] == 35.5 and payload["flags"] == {"concern": True}
    assert payload["item_names"][0] == "Relationship"
    back = read_rating(payload, 999)
    assert (back.score.total, back.rater, back.phase, back.t_ns, back.session_number) == (
        35.5,
        "client",
        "end",
        123,
        4,
    )
    with pytest.raises(RatingError, match="total 40 does not match its answers"):
        read_rating({**payload, "total": 40}, 0)
    with pytest.raises(RatingError, match="rater must be one of"):
        rating_payload(score(SRS, [9, 9, 9, 9]), "mother", "end", 0)
    with pytest.raises(RatingError, match="phase must be one of"):
        rating_payload(score(SRS, [9, 9, 9, 9]), "client", "lunch", 0)


def test_docstring_examples_run() -> None:
    import doctest

    from coregulate.alliance import change, scoring

    for module in (scoring, change):
        result = doctest.testmod(module)
        assert result.attempted > 0 and result.failed == 0


def test_a_minimal_recorded_rating_reads_with_defaults() -> None:
    # The fields the session file's `ratings` view needs, nothing else.
    r = read_rating({"instrument": "ORS", "items": [5, 5, 5, 4.9], "total": 19.9}, 42)
    assert (r.score.total, r.rater, r.phase, r.t_ns, r.session_number) == (
        19.9,
        "client",
        "start",
        42,
        None,
    )
    assert r.score.flags == {"clinical_range": True}
    with pytest.raises(RatingError, match="must be a JSON object"):
        read_rating([1, 2], 0)
