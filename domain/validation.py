"""Validating commands: pydantic models whose broken rules become coded user errors.

Each rule raises a `PydanticCustomError` whose type is a `UserErrorCode`, so one converter
(`parse`) turns any validation failure into `Problem`s on the right input field. Field names
are the API's (camelCase) so a form can show each error beside its input.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from domain.errors import DomainError, Problem, UserErrorCode

TITLE_MAX = 200
TEXT_MAX = 10_000
NAME_MAX = 200
# numeric(precision) bound: beyond this a value is a typo or an attack, not a measurement.
NUMBER_MAX = Decimal("1e15")


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


def _number(value: Any) -> Any:
    # Before pydantic's own parsing: NaN, Infinity and 1e400 must be INVALID_NUMBER, not a
    # generic type error, whether they come as JSON numbers or strings.
    if isinstance(value, bool):
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a number.")
    if isinstance(value, float) and not math.isfinite(value):
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a finite number.")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a decimal number.") from None
    if not number.is_finite() or abs(number) >= NUMBER_MAX:
        raise _error(UserErrorCode.INVALID_NUMBER, "Must be a finite number below 1e15.")
    return number


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
