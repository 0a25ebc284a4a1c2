"""The shared input rules: the one number grammar and text the database can hold
(docs/domain-rules.md, "Input, updates and integrations")."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from domain.errors import DomainError, Problem, UserErrorCode
from domain.objectives import CloseObjective
from domain.validation import decimal_number, parse, text_problems, unstorable_text

# --- numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        ("1235.50", "1235.50"),  # the scale given is kept
        ("-12", "-12"),
        ("+7", "7"),
        (".5", "0.5"),
        ("5.", "5"),
        ("1.2e3", "1.2E+3"),
        ("2E-3", "0.002"),
        ("999999999999999", "999999999999999"),  # 15 digits: the largest whole number
        ("0.0000000001", "1E-10"),  # 10 places
        ("1.50000000000000000", "1.50000000000000000"),  # trailing zeros are not places
        ("0e-400", "0"),
        (3, "3"),
        (0.1, "0.1"),  # a JSON number by its shortest spelling, not its binary value
        (Decimal("2.5"), "2.5"),
    ],
)
def test_numbers_of_the_grammar_are_kept_exactly(given_: object, expected: str) -> None:
    assert decimal_number(given_) == Decimal(expected)


@pytest.mark.parametrize(
    "given_",
    [
        "1_000",  # Python's underscores
        "١٢٣",  # Arabic-Indic digits
        "\uff11\uff12",  # full-width digits
        " 1 ",
        "1\n",
        "",
        "-",
        ".",
        "e5",
        "0x10",
        "NaN",
        "-Infinity",
        "inf",
        "1e-400",  # 400 places
        "1e999999999",  # far too large, refused without being expanded
        "1000000000000000",  # 1e15
        "0.00000000001",  # 11 places
        "0." + "1" * 1000,  # a 1,000-digit fraction
        "1" * 101,
        float("nan"),
        float("inf"),
        1e300,
        pytest.param(10**5000, id="10**5000"),  # beyond what str() of an int allows
        True,
        None,
        [1],
    ],
)
def test_anything_else_is_invalid_number(given_: object) -> None:
    with pytest.raises(PydanticCustomError) as refused:
        decimal_number(given_)
    assert refused.value.type == UserErrorCode.INVALID_NUMBER.value


@given(
    st.decimals(
        allow_nan=False, allow_infinity=False, places=10, max_value=10**14, min_value=-(10**14)
    )
)
def test_every_number_in_bounds_round_trips_through_its_text(number: Decimal) -> None:
    assert decimal_number(str(number)) == number
    assert decimal_number(f"{number:e}") == number


# --- text ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "plain", "Sänk kostnaden 💸", "😀", "tab\tnewline\n"])
def test_full_unicode_is_storable(text: str) -> None:
    assert unstorable_text(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a\x00b", "NUL"),
        ("\x00", "NUL"),
        ("é\x00", "NUL"),
        ("x\ud800", "U+D800"),  # a lone high surrogate
        ("\udfff", "U+DFFF"),  # a lone low surrogate
        ("😀\ud83d", "U+D83D"),
    ],
)
def test_nul_and_unpaired_surrogates_are_not(text: str, words: str) -> None:
    reason = unstorable_text(text)
    assert reason is not None
    assert words in reason


def test_text_problems_name_each_field_at_any_depth() -> None:
    given_ = {
        "title": "ok",
        "comment": "a\x00",
        "items": [{"comment": "fine"}, {"comment": "\ud800", "value": 1}],
        "ids": ["x", "y\x00"],
    }
    problems = text_problems(given_, ("input",))
    assert [(p.code, p.field) for p in problems] == [
        (UserErrorCode.INVALID_TEXT, ("input", "comment")),
        (UserErrorCode.INVALID_TEXT, ("input", "items", "1", "comment")),
        (UserErrorCode.INVALID_TEXT, ("input", "ids", "1")),
    ]
    assert all(isinstance(p, Problem) for p in problems)
    assert text_problems({"title": "ok", "n": 3, "none": None}, ("input",)) == []


# --- final scores (a Float in the API) ----------------------------------------------------


@pytest.mark.parametrize(
    ("given_", "expected"),
    [
        (2 / 3, "0.666667"),  # a client's float: rounded to the scores' six places
        (0.7, "0.7"),
        (1, "1"),
        ("0.25", "0.25"),
    ],
)
def test_a_final_score_has_the_precision_of_scores(given_: object, expected: str) -> None:
    command = parse(CloseObjective, {"id": 1, "outcome": "ACHIEVED", "finalScore": given_})
    assert command.final_score == Decimal(expected)


@pytest.mark.parametrize(
    ("given_", "code"),
    [(1.5, "OUT_OF_RANGE"), ("0.1234567890123", "INVALID_NUMBER"), ("1_0", "INVALID_NUMBER")],
)
def test_a_final_score_outside_the_rules_is_refused(given_: object, code: str) -> None:
    with pytest.raises(DomainError) as refused:
        parse(CloseObjective, {"id": 1, "outcome": "ACHIEVED", "finalScore": given_})
    assert [(p.code.value, p.field) for p in refused.value.problems] == [
        (code, ("input", "finalScore"))
    ]
