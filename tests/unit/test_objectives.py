"""Objective progress aggregation and pace status (docs/domain-rules.md, "Objectives")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.key_results import progress, score
from domain.objectives import (
    AT_RISK_TOLERANCE,
    ON_TRACK_TOLERANCE,
    PaceStatus,
    ProgressSource,
    objective_progress,
    pace_status,
    weighted_progress,
)

scores = st.floats(min_value=0.0, max_value=1.0)
# Scores as the rules produce them (six places) and weights as the columns hold them.
exact_scores = st.decimals(min_value=0, max_value=1, places=6)
weights = st.decimals(min_value="0.01", max_value=1000, places=4)
scored_items = st.lists(st.tuples(exact_scores, weights), min_size=1, max_size=50)


# --- weighted_progress ------------------------------------------------------------------


def test_five_of_six_points_is_83_percent() -> None:
    # given seed 003's six equally weighted points, five of them reached
    milestones = [progress("MILESTONE", None, None, None, None, done=i < 5) for i in range(6)]
    # when the objective is scored
    result = weighted_progress((score(raw), 1.0) for raw in milestones)
    # then it is "5 av 6 poäng, dvs 83% av målet"
    assert result is not None
    assert result == Decimal("0.833333")
    assert round(result * 100) == 83


def test_weights_shift_the_mean() -> None:
    # given a KR at 100% weighing 3 and one at 0% weighing 1
    assert weighted_progress([(1.0, 3.0), (0.0, 1.0)]) == 0.75


def test_no_items_has_no_progress_not_zero() -> None:
    assert weighted_progress([]) is None
    assert weighted_progress(iter(())) is None


def test_accepts_a_generator() -> None:
    assert weighted_progress((s, 1) for s in ("0.2", "0.4")) == Decimal("0.3")


# --- objective_progress -----------------------------------------------------------------


def test_objective_without_key_results_has_progress_none_not_zero() -> None:
    assert objective_progress("KEY_RESULTS", [], []) is None


def test_key_results_source_ignores_children() -> None:
    assert objective_progress("KEY_RESULTS", [(0.5, 1.0)], [(1.0, 5.0)]) == 0.5


def test_children_source_uses_alignment_weights() -> None:
    children = [(1.0, 1.0), (0.0, 3.0)]
    assert objective_progress("CHILDREN", [(0.9, 1.0)], children) == 0.25


def test_children_without_progress_are_ignored_not_zero() -> None:
    # given one measured child at 0.6 and one child without any key result
    children: list[tuple[float | None, float]] = [(0.6, 1.0), (None, 10.0)]
    # then only the measured child counts
    assert objective_progress("CHILDREN", [], children) == Decimal("0.6")


def test_children_source_with_no_measured_child_is_none() -> None:
    assert objective_progress("CHILDREN", [(1.0, 1.0)], [(None, 1.0)]) is None
    assert objective_progress("CHILDREN", [], []) is None


def test_both_pools_key_results_and_children_into_one_mean() -> None:
    result = objective_progress(
        ProgressSource.BOTH, [(1.0, 1.0), (0.0, 1.0)], [(1.0, 2.0), (None, 4.0)]
    )
    assert result == 0.75


def test_both_with_only_one_side_uses_that_side() -> None:
    assert objective_progress("BOTH", [], [(0.4, 2.0)]) == Decimal("0.4")
    assert objective_progress("BOTH", [(0.4, 2.0)], []) == Decimal("0.4")
    assert objective_progress("BOTH", [], [(None, 2.0)]) is None


def test_unknown_source_is_a_bug() -> None:
    with pytest.raises(ValueError):
        objective_progress("SIBLINGS", [], [])


# --- pace_status ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score_", "expected", "status"),
    [
        (0.5, 0.5, PaceStatus.ON_TRACK),
        (0.9, 0.5, PaceStatus.ON_TRACK),  # ahead
        (0.4, 0.5, PaceStatus.ON_TRACK),  # exactly ON_TRACK_TOLERANCE behind
        (0.7, 0.8, PaceStatus.ON_TRACK),  # same, where float subtraction gives 0.1000...09
        (0.39, 0.5, PaceStatus.AT_RISK),
        (0.25, 0.5, PaceStatus.AT_RISK),  # exactly AT_RISK_TOLERANCE behind
        (0.24, 0.5, PaceStatus.OFF_TRACK),
        (0.0, 1.0, PaceStatus.OFF_TRACK),
        (0.0, 0.0, PaceStatus.ON_TRACK),  # cycle not started yet
    ],
)
def test_pace_compares_score_with_expected_progress(
    score_: float, expected: float, status: PaceStatus
) -> None:
    assert pace_status(score_, expected, None) is status


def test_tolerances_are_ordered() -> None:
    assert 0 < ON_TRACK_TOLERANCE < AT_RISK_TOLERANCE < 1


@pytest.mark.parametrize("confidence", ["ON_TRACK", "AT_RISK", "OFF_TRACK"])
def test_latest_confidence_overrides_the_arithmetic(confidence: str) -> None:
    # given a score far behind, or no score at all, and an owner's stated confidence
    for score_ in (0.0, 1.0, None):
        # then the owner's judgement wins
        assert pace_status(score_, 0.9, confidence) == confidence


def test_no_score_and_no_confidence_has_no_pace() -> None:
    assert pace_status(None, 0.5, None) is None


def test_unknown_confidence_is_a_bug() -> None:
    with pytest.raises(ValueError):
        pace_status(0.5, 0.5, "OPTIMISTIC")


# --- properties -------------------------------------------------------------------------


@given(scored_items)
def test_weighted_progress_lies_between_min_and_max_score(
    items: list[tuple[Decimal, Decimal]],
) -> None:
    result = weighted_progress(items)
    assert result is not None
    item_scores = [s for s, _ in items]
    # exact: a mean of six-place scores, rounded to six places, stays within them
    assert min(item_scores) <= result <= max(item_scores)


@given(scored_items, st.decimals(min_value="0.01", max_value=100, places=2))
def test_weighted_progress_is_invariant_to_scaling_all_weights(
    items: list[tuple[Decimal, Decimal]], factor: Decimal
) -> None:
    scaled = [(s, w * factor) for s, w in items]
    assert weighted_progress(scaled) == weighted_progress(items)


def test_weighted_progress_is_exact_and_rounded_half_even() -> None:
    # floats give 0.30000000000000004 for the mean of 0.1 and 0.5, and 1/3 has no end
    assert weighted_progress([("0.1", 1), ("0.5", 1)]) == Decimal("0.3")
    assert weighted_progress([("1", 1), ("0", 2)]) == Decimal("0.333333")
    assert weighted_progress([("0.000001", 1), ("0", 1)]) == Decimal("0.000000")  # a tie: even


@given(st.one_of(st.none(), scores), scores)
def test_pace_is_none_only_without_a_score(score_: float | None, expected: float) -> None:
    assert (pace_status(score_, expected, None) is None) == (score_ is None)


@given(scores, scores, scores)
def test_pace_never_improves_as_the_score_drops(high: float, low: float, expected: float) -> None:
    high, low = max(high, low), min(high, low)
    rank = {PaceStatus.ON_TRACK: 0, PaceStatus.AT_RISK: 1, PaceStatus.OFF_TRACK: 2}
    at_high, at_low = pace_status(high, expected, None), pace_status(low, expected, None)
    assert at_high is not None
    assert at_low is not None
    assert rank[at_high] <= rank[at_low]
