"""Field constructors: each declares a field's mapping once, for the planner and the oracle.

`column("title", ...)` gives a strawberry field whose metadata carries the mapping the planner
compiles, and whose resolver (used only by strawberry's standard executor: introspection and
the differential test) interprets the same mapping one field at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry

from db.ids import encode_id
from db.planner.mapping import (
    METADATA_KEY,
    Column,
    Derived,
    Embedded,
    FieldMapping,
    ReadContext,
    Row,
    ToOne,
    ToOneList,
    Value,
)
from schema import oracle


def mapped(mapping: FieldMapping) -> dict[str, FieldMapping]:
    """Metadata for fields declared with their own resolver (connections, root fields)."""
    return {METADATA_KEY: mapping}


def _field(
    mapping: FieldMapping,
    description: str,
    resolver: Callable[..., Any],
    deprecation_reason: str | None = None,
) -> Any:
    return strawberry.field(
        resolver=resolver,
        description=description,
        metadata=mapped(mapping),
        deprecation_reason=deprecation_reason,
    )


def column(name: str, description: str, *, deprecated: str | None = None) -> Any:
    """A leaf read from the source's column `name`; `deprecated` says what to use instead."""
    return _field(Column(name), description, oracle.resolve_leaf, deprecated)


def value(key: str, description: str) -> Any:
    return _field(Value(key), description, oracle.resolve_leaf)


def derived(fn: Callable[[Row, ReadContext], Any], needs: tuple[str, ...], description: str) -> Any:
    return _field(Derived(fn, needs), description, oracle.resolve_derived)


def embedded(key: str, description: str) -> Any:
    return _field(Embedded(key), description, oracle.resolve_leaf)


def to_one(
    source: str, key: str, description: str, projection: dict[str, str] | None = None
) -> Any:
    return _field(ToOne(source, key, projection or {}), description, oracle.resolve_to_one)


def to_one_list(source: str, key: str, description: str) -> Any:
    return _field(ToOneList(source, key), description, oracle.resolve_to_one_list)


def node_id(type_name: str) -> Any:
    def global_id(row: Row, ctx: ReadContext) -> str:
        return encode_id(type_name, row["id"])

    return derived(global_id, ("id",), f"The {type_name}'s opaque global id (Relay Node).")
