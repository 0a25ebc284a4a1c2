"""Key-result progress, score and direction (docs/domain-rules.md, "Key results")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from domain.key_results import (
    PROGRESS_PLACES,
    KeyResultDirection,
    KeyResultKind,
    ThresholdDirection,
    direction,
    progress,
    score,
)

# Values a key result plausibly holds (money, counts, percentages, negatives too).
values = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


def numeric(start: float, target: float, current: float | None) -> Decimal:
    return progress("NUMERIC", start, target, current, None, done=False)


def distinct_pair(start: float, target: float) -> None:
    # A start and target a rounding error apart make the quotient meaningless; the API
    # rejects such a key result long before it is scored.
    assume(abs(target - start) > 1e-6 * max(1.0, abs(start), abs(target)))


# --- seed cases -------------------------------------------------------------------------


def test_leads_from_250_to_350_halfway_at_300() -> None:
    # given "öka antalet leads från 250 till 350 per kvartal", when 300 are reported
    raw = numeric(250, 350, 300)
    # then half the way is done
    assert raw == 0.5
    assert score(raw) == 0.5


def test_leads_overshoot_keeps_raw_progress_but_scores_one() -> None:
    raw = numeric(250, 350, 400)
    assert raw == 1.5
    assert score(raw) == 1.0


def test_leads_below_start_keeps_negative_raw_progress_but_scores_zero() -> None:
    raw = numeric(250, 350, 200)
    assert raw == -0.5
    assert score(raw) == 0.0


def test_cost_per_lead_decrease_from_1300_to_1170_halfway_at_1235() -> None:
    # given "minska kostnaden per lead från 1300 kr till 1170 kr", when 1235 kr is reported
    raw = numeric(1300, 1170, 1235)
    # then the decrease is half done
    assert raw == 0.5
    assert direction(1300, 1170) is KeyResultDirection.DECREASE


def test_cost_per_lead_rising_instead_of_falling_scores_zero() -> None:
    raw = numeric(1300, 1170, 1400)
    assert raw < 0
    assert score(raw) == 0.0


def test_mau_percentage_from_25_to_30() -> None:
    assert numeric(25, 30, 27.5) == 0.5
    assert numeric(25, 30, 26) == Decimal("0.2")
    assert numeric(25, 30, 30) == 1.0
    assert direction(25, 30) is KeyResultDirection.INCREASE


def test_five_of_six_points_is_83_percent() -> None:
    # seed 003: "5 exponeringar i nivå2 ... 5 av 6 poäng, dvs 83% av målet"
    assert numeric(0, 6, 5) == Decimal("0.833333")


def test_numeric_without_check_in_is_at_start() -> None:
    assert numeric(250, 350, None) == 0.0
    assert numeric(1300, 1170, None) == 0.0


def test_negative_values_are_allowed() -> None:
    # given a net result from -100 to +100, when it reaches 0
    assert numeric(-100, 100, 0) == 0.5


# --- thresholds and milestones ----------------------------------------------------------


@pytest.mark.parametrize(
    ("bound", "current", "expected"),
    [
        (ThresholdDirection.AT_LEAST, 99.9, 1.0),
        (ThresholdDirection.AT_LEAST, 99.5, 1.0),
        (ThresholdDirection.AT_LEAST, 99.4, 0.0),
        (ThresholdDirection.AT_MOST, 2.0, 1.0),
        (ThresholdDirection.AT_MOST, 99.5, 1.0),
        (ThresholdDirection.AT_MOST, 99.6, 0.0),
    ],
)
def test_threshold_is_one_while_the_bound_holds(
    bound: ThresholdDirection, current: float, expected: float
) -> None:
    # given "keep uptime at least / at most 99.5"
    assert progress("THRESHOLD", None, 99.5, current, bound, done=False) == expected


def test_threshold_without_value_is_zero() -> None:
    assert progress("THRESHOLD", None, 99.5, None, "AT_LEAST", done=False) == 0.0


@pytest.mark.parametrize(("done", "expected"), [(False, 0.0), (True, 1.0)])
def test_milestone_is_zero_until_done(done: bool, expected: float) -> None:
    # given "genomför en content audit"
    assert progress("MILESTONE", None, None, None, None, done=done) == expected


def test_enum_members_and_plain_strings_are_interchangeable() -> None:
    as_enum = progress(KeyResultKind.THRESHOLD, None, 5, 6, ThresholdDirection.AT_LEAST, False)
    as_str = progress("THRESHOLD", None, 5, 6, "AT_LEAST", False)
    assert as_enum == as_str == 1.0


@pytest.mark.parametrize(
    ("kind", "start", "target", "bound"),
    [
        ("NUMERIC", 10, 10, None),  # target == start is invalid
        ("NUMERIC", None, 10, None),
        ("NUMERIC", 10, None, None),
        ("THRESHOLD", None, None, "AT_LEAST"),
        ("THRESHOLD", None, 10, None),
        ("THRESHOLD", None, 10, "SIDEWAYS"),
        ("PERCENTAGE", 0, 10, None),
    ],
)
def test_rows_that_break_write_rules_are_bugs(
    kind: str, start: float | None, target: float | None, bound: str | None
) -> None:
    with pytest.raises(ValueError):
        progress(kind, start, target, 5, bound, done=False)


# --- score and direction ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(-2.0, 0.0), (-0.0, 0.0), (0.0, 0.0), (0.25, 0.25), (1.0, 1.0), (7.0, 1.0)],
)
def test_score_clamps_to_unit_interval(raw: float, expected: float) -> None:
    assert score(Decimal(repr(raw))) == expected


# --- exactness --------------------------------------------------------------------------


def test_progress_is_exact_decimal_arithmetic() -> None:
    # given a key result from 0.1 to 0.3 checked in at 0.2 (floats give 0.5000000000000001)
    raw = progress("NUMERIC", "0.1", "0.3", "0.2", None, done=False)
    # then progress and score are exactly a half
    assert (raw, score(raw)) == (Decimal("0.5"), Decimal("0.5"))
    assert str(float(raw)) == "0.5"


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        ("1", "0.333333"),  # 1/3, rounded at the sixth place
        ("2", "0.666667"),
        ("0.0000015", "0.000000"),  # 0.0000005: a tie goes to the even neighbour
        ("0.0000045", "0.000002"),  # 0.0000015: up to the even neighbour
    ],
)
def test_progress_is_rounded_half_even_to_six_places(current: str, expected: str) -> None:
    assert progress("NUMERIC", "0", "3", current, None, done=False) == Decimal(expected)
    assert PROGRESS_PLACES == 6


@given(values, values, values)
def test_progress_of_text_equals_progress_of_the_same_decimals(
    start: float, target: float, current: float
) -> None:
    # the database's text and the Decimals a command holds score alike
    distinct_pair(start, target)
    as_text = progress("NUMERIC", repr(start), repr(target), repr(current), None, False)
    as_decimal = progress(
        "NUMERIC", Decimal(repr(start)), Decimal(repr(target)), Decimal(repr(current)), None, False
    )
    assert as_text == as_decimal
    assert as_text == as_text.quantize(Decimal("0.000001"))


@pytest.mark.parametrize(
    ("start", "target", "expected"),
    [
        (250, 350, KeyResultDirection.INCREASE),
        (1300, 1170, KeyResultDirection.DECREASE),
        (5, 5, None),
        (None, 1, None),  # threshold
        (None, None, None),  # milestone
    ],
)
def test_direction(
    start: float | None, target: float | None, expected: KeyResultDirection | None
) -> None:
    assert direction(start, target) is expected


# --- properties -------------------------------------------------------------------------


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_score_is_always_in_unit_interval(raw: Decimal) -> None:
    assert 0 <= score(raw) <= 1


@given(values, values)
def test_numeric_progress_is_zero_at_start_and_one_at_target(start: float, target: float) -> None:
    distinct_pair(start, target)
    assert numeric(start, target, start) == 0.0
    assert numeric(start, target, target) == 1.0


@given(values, values, values, values)
def test_numeric_progress_follows_the_direction(
    start: float, target: float, low: float, high: float
) -> None:
    # given two reported values, low <= high
    distinct_pair(start, target)
    low, high = min(low, high), max(low, high)
    # when both are scored
    at_low, at_high = numeric(start, target, low), numeric(start, target, high)
    # then more is better for an increase, and less is better for a decrease
    if direction(start, target) is KeyResultDirection.INCREASE:
        assert at_low <= at_high
    else:
        assert at_low >= at_high
