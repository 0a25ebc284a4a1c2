"""Mutation payloads and their results.

A payload is rendered by the planner from a plain dict, its result: the entities' ids (read
after the write commits), values such as a one-time secret, and the user errors. Each result
has a TypedDict, and `check_payload` compares the payload's field mappings with it when the
mutation is declared (at import, so at startup and in the unit tests): a key that does not
match fails there, not as a KeyError in a request. A TypedDict rather than a dataclass because
the result is the very dict the planner reads, with no conversion per request.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, is_typeddict

from strawberry.types.base import StrawberryOptional, has_object_definition

from db.planner.mapping import (
    METADATA_KEY,
    Column,
    Derived,
    Embedded,
    FieldMapping,
    Many,
    ToOne,
    ToOneList,
    Value,
)
from schema.fields import embedded

# The key every payload's userErrors field reads; the mutation constructor fills it.
USER_ERRORS = "userErrors"


class PayloadMismatchError(TypeError):
    """A payload's field mappings do not match its result type."""


def user_errors_field(description: str = "Why nothing was written, if so.") -> Any:
    """A payload's `userErrors` field."""
    return embedded(USER_ERRORS, description)


def result_keys(result: type) -> frozenset[str]:
    if not is_typeddict(result):
        raise PayloadMismatchError(f"{result.__name__} is not a TypedDict")
    keys: frozenset[str] = result.__required_keys__ | result.__optional_keys__  # type: ignore[attr-defined]
    return keys


def check_payload(payload: type, result: type, refused: Collection[str] | None) -> None:
    """Raise PayloadMismatchError unless `payload`'s fields read exactly `result`'s keys and
    its userErrors.

    `refused` are the keys a refusal sets besides userErrors (the others are null), or None
    when they depend on the input: a non-null field must be among them, or a refused write
    would render null where the schema promises a value.
    """
    if not has_object_definition(payload):
        raise PayloadMismatchError(f"{payload.__name__} is not a strawberry type")
    keys = result_keys(result) | {USER_ERRORS}
    read: set[str] = set()
    for field in payload.__strawberry_definition__.fields:
        where = f"{payload.__name__}.{field.python_name}"
        needs = _row_keys(field.metadata.get(METADATA_KEY), where)
        if unknown := needs - keys:
            raise PayloadMismatchError(
                f"{where} reads {sorted(unknown)}, which {result.__name__} does not have"
                f" (it has {sorted(keys)})"
            )
        read |= needs
        nullable = isinstance(field.type, StrawberryOptional)
        if refused is not None and not nullable and (needs - {USER_ERRORS}) - set(refused):
            raise PayloadMismatchError(
                f"{where} is non-null: give the value it shows when the write is refused"
            )
    if unread := keys - read:
        raise PayloadMismatchError(
            f"no field of {payload.__name__} reads {sorted(unread)} of {result.__name__}"
        )


def _row_keys(mapping: FieldMapping | None, where: str) -> frozenset[str]:
    """The keys of the payload's dict that a field's mapping reads."""
    match mapping:
        case ToOne(key=key) | ToOneList(key=key) | Value(key=key) | Embedded(key=key):
            return frozenset((key,))
        case Column(column=column):
            return frozenset((column,))
        case Derived(needs=needs):
            return frozenset(needs)
        case Many(parent_key=parent_key):
            return frozenset((parent_key,))
    raise PayloadMismatchError(f"{where} has no mapping a payload can render ({mapping!r})")
