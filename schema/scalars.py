"""Custom scalars. Their wire form is produced by `serialize`, which the planner calls too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as PyDecimal
from typing import Any, NewType

import strawberry
from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from strawberry.types.scalar import ScalarDefinition

from db.planner.mapping import WIRE_FORMS


def serialize_datetime(value: dt.datetime) -> str:
    return value.isoformat()


def serialize_date(value: dt.date) -> str:
    return value.isoformat()


def serialize_decimal(value: object) -> str:
    # numeric arrives from PostgreSQL as its exact text already (see db/pool.py)
    return value if isinstance(value, str) else str(value)


def parse_decimal(value: object) -> object:
    # Only the shape is checked here: whether the number is acceptable (the grammar, finite,
    # in range: domain/validation.py's decimal_number) is a domain rule, reported as a user
    # error on the input field rather than a request error.
    if isinstance(value, bool) or not isinstance(value, str | int | float | PyDecimal):
        raise ValueError("Decimal must be a string or a number")
    return value


def parse_decimal_literal(node: ValueNode, variables: dict[str, Any] | None = None) -> object:
    # A number written in the document is taken by its text, as a string would be: the default
    # reads it as a float first, which turns 1e-400 into 0 and 0.1 into a binary fraction.
    if isinstance(node, IntValueNode | FloatValueNode | StringValueNode):
        return node.value
    raise ValueError("Decimal must be a string or a number")


# Annotate fields with these types; SCALAR_MAP (passed to the schema) says how they travel.
DateTime = NewType("DateTime", dt.datetime)
Date = NewType("Date", dt.date)
Decimal = NewType("Decimal", PyDecimal)

WIRE_FORMS.update({"Decimal": "text", "DateTime": "native", "Date": "native"})

SCALAR_MAP: dict[object, ScalarDefinition] = {
    DateTime: strawberry.scalar(
        name="DateTime",
        description="An instant as an ISO 8601 string with a UTC offset.",
        serialize=serialize_datetime,
        parse_value=lambda v: dt.datetime.fromisoformat(v),
    ),
    Date: strawberry.scalar(
        name="Date",
        description="A calendar date as an ISO 8601 string (YYYY-MM-DD).",
        serialize=serialize_date,
        parse_value=lambda v: dt.date.fromisoformat(v),
    ),
    Decimal: strawberry.scalar(
        name="Decimal",
        description=(
            'An exact decimal number, as a JSON string (e.g. "1235.50") so no precision is'
            " lost. Inputs accept a string or a number of one grammar: ASCII digits with an"
            ' optional sign, decimal point and exponent ("-12", "0.5", "1.2e3"); no spaces,'
            " underscores, other digits, NaN or Infinity; below 1e15 in size, at most 10"
            " decimal places (trailing zeros aside), at most 100 characters. Anything else is"
            " refused with INVALID_NUMBER on the field."
        ),
        serialize=serialize_decimal,
        parse_value=parse_decimal,
        parse_literal=parse_decimal_literal,
    ),
}
