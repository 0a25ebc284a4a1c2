"""Validating commands: pydantic models whose broken rules become coded user errors.

Each rule raises a `PydanticCustomError` whose type is a `UserErrorCode`, so one converter
(`parse`) turns any validation failure into `Problem`s on the right input field. Field names
are the API's (camelCase) so a form can show each error beside its input.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from domain.errors import DomainError, Problem, UserErrorCode

TITLE_MAX = 200
TEXT_MAX = 10_000
NAME_MAX = 200
# The one number grammar (docs/domain-rules.md, "Input"): beyond these bounds a value is a
# typo or an attack, not a measurement. Below 1e15 in size, at most 10 decimal places once
# trailing zeros are dropped: at most 25 significant digits, which the exact progress
# arithmetic (domain/key_results.py) is sized for.
NUMBER_MAX = Decimal("1e15")
NUMBER_PLACES = 10
# Longer text cannot be a number of at most 25 significant digits however it is written,
# short of absurd zero padding; refusing it first bounds the work spent on any input.
NUMBER_TEXT_MAX = 100
# ASCII digits only (\d would take Arabic-Indic digits), no underscores, no surrounding space;
# an optional sign, point and exponent.
_NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Command(BaseModel):
    """Base of every validated input: camelCase names, strict about unknown fields."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )


def _error(code: UserErrorCode, message: str) -> PydanticCustomError:
    return PydanticCustomError(code.value, message)


def _title(value: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise _error(UserErrorCode.REQUIRED, "Must not be blank.")
    if len(trimmed) > TITLE_MAX:
        raise _error(UserErrorCode.TOO_LONG, f"At most {TITLE_MAX} characters.")
    return trimmed


def _text(value: str | None) -> str | None:
    if value is None:
        return None
    trimmed = value.strip()
    if len(trimmed) > TEXT_MAX:
        raise _error(UserErrorCode.TOO_LONG, f"At most {TEXT_MAX} characters.")
    return trimmed or None


def decimal_number(value: object) -> Decimal:
    """`value` (a string, a JSON number or a Decimal) as a Decimal, if it is a number of the
    grammar within the bounds, else an INVALID_NUMBER error (a PydanticCustomError)."""
    if isinstance(value, bool):
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a number.")
    if isinstance(value, int):
        # Compared as an int: str() of a huge int is itself refused by Python.
        if abs(value) >= NUMBER_MAX:
            raise _too_big()
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _error(UserErrorCode.INVALID_NUMBER, "Must be a finite number.")
        # A JSON number by its shortest spelling: 0.1 is 0.1, not the binary 0.1000…0555.
        text = repr(value)
    elif isinstance(value, Decimal):
        text = str(value)
    elif isinstance(value, str):
        text = value
    else:
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a decimal number.")
    if len(text) > NUMBER_TEXT_MAX:
        raise _error(
            UserErrorCode.INVALID_NUMBER, f"At most {NUMBER_TEXT_MAX} characters for a number."
        )
    if not _NUMBER_TEXT.fullmatch(text):
        raise _error(
            UserErrorCode.INVALID_NUMBER,
            "Must be a decimal number: ASCII digits with an optional sign, point and exponent.",
        )
    # Size and places are judged from the exponent before any arithmetic, so "1e999999999"
    # costs no more than "1".
    number = Decimal(text)
    if number.is_zero():
        return Decimal(0)
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite: the grammar has no NaN or Infinity
    trailing_zeros = len(digits) - len(bytes(digits).rstrip(b"\0"))
    significant, exponent = len(digits) - trailing_zeros, exponent + trailing_zeros
    if significant + exponent > 15:
        raise _too_big()
    if exponent < -NUMBER_PLACES:
        raise _error(UserErrorCode.INVALID_NUMBER, f"At most {NUMBER_PLACES} decimal places.")
    return number


def _too_big() -> PydanticCustomError:
    return _error(UserErrorCode.INVALID_NUMBER, "Must be a finite number below 1e15 in size.")


def _number(value: Any) -> Any:
    # Before pydantic's own parsing: anything outside the grammar must be INVALID_NUMBER, not a
    # generic type error, whether it comes as a JSON number or a string.
    return decimal_number(value)


def unstorable_text(value: str) -> str | None:
    """Why `value` cannot be stored or compared as text, or None when it can.

    PostgreSQL text holds no NUL character, and UTF-8 has no encoding for a surrogate that is
    not half of a pair (JSON's "\\ud800" alone): either would reach the database as an error,
    so every string input is checked before anything is written (`text_problems`).
    """
    if value.isascii():
        return "Must not contain a NUL character (U+0000)." if "\0" in value else None
    if "\0" in value:
        return "Must not contain a NUL character (U+0000)."
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code_point = ord(value[error.start])
        return f"Must not contain an unpaired surrogate (U+{code_point:04X})."
    return None


def text_problems(value: object, field: tuple[str, ...]) -> list[Problem]:
    """An INVALID_TEXT problem for every string in `value` (an input: objects, lists, strings,
    at any depth) that `unstorable_text` refuses, on the field that holds it."""
    problems: list[Problem] = []
    if isinstance(value, str):
        reason = unstorable_text(value)
        if reason is not None:
            problems.append(Problem(UserErrorCode.INVALID_TEXT, field, reason))
    elif isinstance(value, dict):
        for key, item in value.items():
            problems.extend(text_problems(item, (*field, str(key))))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problems.extend(text_problems(item, (*field, str(index))))
    return problems


def _positive(value: Decimal) -> Decimal:
    if value <= 0:
        raise _error(UserErrorCode.NOT_POSITIVE, "Must be greater than 0.")
    return value


Title = Annotated[str, AfterValidator(_title)]
Text = Annotated[str | None, AfterValidator(_text)]
Number = Annotated[Decimal, BeforeValidator(_number)]
Weight = Annotated[Decimal, BeforeValidator(_number), AfterValidator(_positive)]

M = TypeVar("M", bound=BaseModel)

_PYDANTIC_CODES = {
    "missing": UserErrorCode.REQUIRED,
    "string_too_long": UserErrorCode.TOO_LONG,
    "decimal_parsing": UserErrorCode.INVALID_NUMBER,
    "decimal_type": UserErrorCode.INVALID_NUMBER,
    "greater_than_equal": UserErrorCode.OUT_OF_RANGE,
    "less_than_equal": UserErrorCode.OUT_OF_RANGE,
}


def parse(model: type[M], data: dict[str, Any], prefix: tuple[str, ...] = ("input",)) -> M:
    """Validate `data` into `model`, or raise a DomainError listing every problem."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = []
        for detail in error.errors():
            kind = detail["type"]
            code = (
                UserErrorCode(kind)
                if kind in UserErrorCode.__members__
                else _PYDANTIC_CODES.get(kind, UserErrorCode.INVALID)
            )
            field = prefix + tuple(str(part) for part in detail["loc"])
            problems.append(Problem(code, field, detail["msg"]))
        raise DomainError(problems) from None
