"""Page cursors: the sort key of a row, opaque to clients, checked before it reaches SQL.

A cursor is base64url of a JSON list: a tag naming the order it was made for, then the row's
sort values as text. Decoding checks the tag (a cursor of another order or direction is not a
position in this one) and each value against the SQL type the order casts it to, so a forged
or stale cursor is the client's coded error, never a cast failing in the database.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
import zlib
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson
from graphql import GraphQLError

from db.catalog import Order
from domain.validation import unstorable_text

_INTEGER = re.compile(r"-?[0-9]{1,19}")
_NUMERIC = re.compile(r"-?[0-9]{1,40}(\.[0-9]{1,40})?(E[-+]?[0-9]{1,3})?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class InvalidCursorError(GraphQLError):
    def __init__(self, cursor: str, detail: str = "") -> None:
        super().__init__(
            f"{cursor!r} is not a valid cursor{detail}.", extensions={"code": "BAD_USER_INPUT"}
        )


@functools.cache
def _tag(order: Order) -> str:
    # Short and stable across processes and releases that keep the order as it is.
    return format(zlib.crc32(repr((order.keys, order.descending)).encode()), "x")


def encoder(order: Order) -> Callable[[Sequence[Any]], str]:
    """How the rows of a page sorted by `order` get their cursors."""
    tag = _tag(order)
    return lambda values: (
        base64.urlsafe_b64encode(orjson.dumps([tag, *(str(v) for v in values)]))
        .rstrip(b"=")
        .decode()
    )


def decode(cursor: str, order: Order) -> list[str]:
    """The sort values of `cursor`, each valid for its SQL type, or InvalidCursorError."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = orjson.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidCursorError(cursor) from None
    if not (
        isinstance(values, list)
        and len(values) == len(order.keys) + 1
        and all(isinstance(v, str) for v in values)
    ):
        raise InvalidCursorError(cursor, " for this list")
    if values[0] != _tag(order):
        raise InvalidCursorError(cursor, " for this list in this order")
    sort_values: list[str] = values[1:]
    for value, (_, sql_type) in zip(sort_values, order.keys, strict=True):
        if not _valid(value, sql_type):
            raise InvalidCursorError(cursor, " for this list")
    return sort_values


def _valid(value: str, sql_type: str) -> bool:
    if sql_type in ("bigint", "integer"):
        bound = 2**63 if sql_type == "bigint" else 2**31
        return _INTEGER.fullmatch(value) is not None and -bound <= int(value) < bound
    if sql_type == "numeric":
        if _NUMERIC.fullmatch(value) is None:
            return False
        try:
            return Decimal(value).is_finite()
        except InvalidOperation:
            return False
    if sql_type == "date":
        return _DATE.fullmatch(value) is not None and _parses(dt.date.fromisoformat, value)
    if sql_type == "timestamptz":
        return _parses(dt.datetime.fromisoformat, value)
    if sql_type == "text":
        return unstorable_text(value) is None
    raise AssertionError(f"cursor values of SQL type {sql_type} are not checked")


def _parses(parse: Callable[[str], object], value: str) -> bool:
    try:
        parse(value)
    except ValueError:
        return False
    return True
