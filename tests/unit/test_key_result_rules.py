"""The rules a key result's fields obey (docs/domain-rules.md, "Key results"), as pure
functions."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import DomainError, UserErrorCode
from domain.key_results import (
    CURRENCY_CODES,
    CreateKeyResult,
    KeyResultDraft,
    UpdateKeyResult,
    apply_update,
    draft_from_command,
    key_result_problems,
    new_key_result_problems,
    read_only_problems,
)
from domain.validation import parse

NUMERIC = KeyResultDraft(
    title="Leads från 250 till 350",
    description=None,
    kind="NUMERIC",
    result_type="RESULT",
    unit="COUNT",
    currency=None,
    unit_label=None,
    start_value=Decimal(250),
    target_value=Decimal(350),
    threshold_direction=None,
    weight=Decimal(1),
    owner_id=1,
    cadence="WEEKLY",
    data_source=None,
    external_id=None,
    position=0,
)


def _found(draft: KeyResultDraft) -> set[tuple[str, UserErrorCode]]:
    return {(p.field[-1], p.code) for p in key_result_problems(draft)}


# --- kinds ------------------------------------------------------------------------------


def test_a_numeric_key_result_from_a_start_to_a_target_is_fine() -> None:
    assert key_result_problems(NUMERIC) == []
    decrease = replace(NUMERIC, start_value=Decimal(1300), target_value=Decimal(1170))
    assert key_result_problems(decrease) == []


def test_a_target_equal_to_its_start_is_refused_on_the_target() -> None:
    same = replace(NUMERIC, target_value=Decimal("250.00"))
    assert _found(same) == {("targetValue", UserErrorCode.TARGET_EQUALS_START)}


def test_a_numeric_key_result_needs_both_ends_and_no_direction() -> None:
    draft = replace(NUMERIC, start_value=None, target_value=None, threshold_direction="AT_MOST")
    assert _found(draft) == {
        ("startValue", UserErrorCode.REQUIRED),
        ("targetValue", UserErrorCode.REQUIRED),
        ("thresholdDirection", UserErrorCode.WRONG_KIND),
    }


def test_a_threshold_needs_a_bound_and_a_direction_and_no_start() -> None:
    threshold = replace(NUMERIC, kind="THRESHOLD", start_value=None, threshold_direction="AT_LEAST")
    assert key_result_problems(threshold) == []
    assert _found(replace(threshold, target_value=None, threshold_direction=None)) == {
        ("targetValue", UserErrorCode.REQUIRED),
        ("thresholdDirection", UserErrorCode.REQUIRED),
    }
    assert _found(replace(threshold, start_value=Decimal(1))) == {
        ("startValue", UserErrorCode.WRONG_KIND)
    }


def test_a_milestone_takes_no_numbers() -> None:
    milestone = replace(NUMERIC, kind="MILESTONE", start_value=None, target_value=None)
    assert key_result_problems(milestone) == []
    given_numbers = replace(milestone, start_value=Decimal(0), target_value=Decimal(1),
                            threshold_direction="AT_LEAST")  # fmt: skip
    assert _found(given_numbers) == {
        ("startValue", UserErrorCode.WRONG_KIND),
        ("targetValue", UserErrorCode.WRONG_KIND),
        ("thresholdDirection", UserErrorCode.WRONG_KIND),
    }


# --- units ------------------------------------------------------------------------------


def test_a_currency_amount_needs_its_code_and_only_it_has_one() -> None:
    assert key_result_problems(replace(NUMERIC, unit="CURRENCY", currency="SEK")) == []
    assert _found(replace(NUMERIC, unit="CURRENCY")) == {("currency", UserErrorCode.REQUIRED)}
    assert _found(replace(NUMERIC, currency="EUR")) == {("currency", UserErrorCode.WRONG_KIND)}


def test_a_custom_unit_needs_its_label_and_only_it_has_one() -> None:
    assert key_result_problems(replace(NUMERIC, unit="CUSTOM", unit_label="leads")) == []
    assert _found(replace(NUMERIC, unit="CUSTOM")) == {("unitLabel", UserErrorCode.REQUIRED)}
    assert _found(replace(NUMERIC, unit="PERCENT", unit_label="%")) == {
        ("unitLabel", UserErrorCode.WRONG_KIND)
    }


@pytest.mark.parametrize("code", ["SEK", "EUR", "USD", "NOK", "DKK", "GBP", "JPY", "CHF"])
def test_real_currency_codes_are_known(code: str) -> None:
    assert code in CURRENCY_CODES


@pytest.mark.parametrize("code", ["sek", "Sek", "SEKK", "SE", "ABC", "XXX", "XTS", " SEK", ""])
def test_other_currency_codes_are_refused(code: str) -> None:
    with pytest.raises(DomainError) as error:
        parse(CreateKeyResult, {"objectiveId": 1, "title": "t", "kind": "NUMERIC",
                                "unit": "CURRENCY", "currency": code})  # fmt: skip
    assert [(p.code, p.field) for p in error.value.problems] == [
        (UserErrorCode.INVALID, ("input", "currency"))
    ]


def test_every_known_code_is_three_capital_letters() -> None:
    assert all(len(c) == 3 and c.isascii() and c.isupper() for c in CURRENCY_CODES)
    assert len(CURRENCY_CODES) > 150


# --- commands ---------------------------------------------------------------------------


def test_a_new_key_result_gets_the_server_defaults() -> None:
    command = parse(CreateKeyResult, {"objectiveId": 9, "title": "  Öka MAU 🎯 ", "kind": "NUMERIC",
                                      "startValue": "25", "targetValue": "30"})  # fmt: skip
    draft = draft_from_command(command, default_owner_id=4, next_position=3)
    assert (draft.title, draft.result_type, draft.unit, draft.cadence) == (
        "Öka MAU 🎯",
        "RESULT",
        "COUNT",
        "WEEKLY",
    )
    assert (draft.weight, draft.owner_id, draft.position) == (Decimal(1), 4, 3)
    assert new_key_result_problems(draft) == []


def test_a_new_key_result_needs_an_owner() -> None:
    [problem] = new_key_result_problems(replace(NUMERIC, owner_id=None))
    assert (problem.code, problem.field) == (UserErrorCode.REQUIRED, ("input", "ownerId"))
    assert key_result_problems(replace(NUMERIC, owner_id=None)) == []  # older rows stay editable


@pytest.mark.parametrize(
    ("weight", "code"),
    [(0, "NOT_POSITIVE"), ("-1", "NOT_POSITIVE"), ("1000.000001", "OUT_OF_RANGE"),
     ("NaN", "INVALID_NUMBER"), ("Infinity", "INVALID_NUMBER"), ("1e400", "INVALID_NUMBER"),
     (float("inf"), "INVALID_NUMBER"), (True, "INVALID_NUMBER")],
)  # fmt: skip
def test_weights_are_positive_finite_and_bounded(weight: object, code: str) -> None:
    with pytest.raises(DomainError) as error:
        parse(CreateKeyResult, {"objectiveId": 1, "title": "t", "kind": "NUMERIC",
                                "weight": weight})  # fmt: skip
    assert [(p.code.value, p.field) for p in error.value.problems] == [(code, ("input", "weight"))]


def test_an_update_tells_absent_from_null() -> None:
    command = parse(UpdateKeyResult, {"id": 1, "description": None, "targetValue": "400"})
    assert command.changes() == {"description": None, "target_value": Decimal(400)}
    after = apply_update(replace(NUMERIC, description="x"), command)
    assert (after.description, after.target_value, after.title) == (
        None,
        Decimal(400),
        NUMERIC.title,
    )


def test_an_update_cannot_clear_what_every_key_result_has() -> None:
    command = parse(UpdateKeyResult, {"id": 1, "title": None, "weight": None, "ownerId": None,
                                      "currency": None})  # fmt: skip
    assert {(p.field[-1], p.code) for p in command.cleared()} == {
        ("title", UserErrorCode.REQUIRED),
        ("weight", UserErrorCode.REQUIRED),
        ("ownerId", UserErrorCode.REQUIRED),
    }


def test_an_update_stores_enum_values_as_strings() -> None:
    command = parse(UpdateKeyResult, {"id": 1, "type": "ACTIVITY", "cadence": "MONTHLY"})
    after = apply_update(NUMERIC, command)
    assert (type(after.result_type), after.result_type, after.cadence) == (
        str,
        "ACTIVITY",
        "MONTHLY",
    )


@pytest.mark.parametrize(("status", "read_only"), [("DRAFT", False), ("ACTIVE", False),
                                                   ("CLOSED", True), ("ARCHIVED", True)])  # fmt: skip
def test_closed_and_archived_objectives_are_read_only(status: str, read_only: bool) -> None:
    problems = read_only_problems(status, ("input", "objectiveId"))
    assert bool(problems) is read_only
    assert all(p.code == UserErrorCode.OBJECTIVE_READ_ONLY for p in problems)


# --- properties -------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4,
                      allow_nan=False, allow_infinity=False)  # fmt: skip


@given(amounts, amounts)
def test_numeric_validity_is_exactly_start_differs_from_target(
    start: Decimal, target: Decimal
) -> None:
    draft = replace(NUMERIC, start_value=start, target_value=target)
    expected = set() if start != target else {("targetValue", UserErrorCode.TARGET_EQUALS_START)}
    assert _found(draft) == expected


@given(amounts)
def test_equal_ends_are_refused_whatever_their_spelling(value: Decimal) -> None:
    # 250, 250.0 and 2.5E+2 are one number
    draft = replace(NUMERIC, start_value=value, target_value=Decimal(str(value)).normalize())
    assert _found(draft) == {("targetValue", UserErrorCode.TARGET_EQUALS_START)}


def test_an_empty_update_changes_nothing() -> None:
    assert apply_update(NUMERIC, parse(UpdateKeyResult, {"id": 1})) == NUMERIC
