"""How a GraphQL field gets its value: the declarations that sit beside each strawberry type.

A mapping is data, not code that fetches: the planner compiles a whole selection from these
declarations into a few SQL statements, and the standard executor's resolvers (the oracle the
differential test compares against) interpret the very same declarations one field at a time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.permissions import Actor

METADATA_KEY = "okrql"

# How custom scalars' database values become JSON, so generated renderers can inline the
# conversion instead of calling the scalar's generic serialize per value:
#   "text":      the database already returns the wire form (numeric travels as text);
#   "native":    a date or datetime, left as it is: the response's serialiser (orjson) writes
#                it in ISO 8601, as .isoformat() would, without a Python call per value.
# Registered by the schema's scalar definitions (schema/scalars.py); any other custom scalar
# goes through its serialize function.
WIRE_FORMS: dict[str, str] = {}


class Row(Protocol):
    def __getitem__(self, key: str, /) -> Any: ...


@dataclass(frozen=True, slots=True)
class ReadContext:
    """What derived fields may depend on besides the row: the request's clock and tenant, and
    who is asking (`actor`: role, scopes, teams), for the `viewerCan*` fields."""

    organization_id: int
    user_id: int | None
    now: dt.datetime
    time_zone: str
    actor: Actor = field(default_factory=Actor)


@dataclass(frozen=True, slots=True)
class Column:
    """A leaf read straight from a column of the type's source (db/catalog.py)."""

    column: str


@dataclass(frozen=True, slots=True)
class Derived:
    """A leaf computed from columns by a pure function (in practice one from domain/)."""

    fn: Callable[[Row, ReadContext], Any]
    needs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Value:
    """A key of a plain dict built in Python (connection parts, mutation payloads)."""

    key: str


@dataclass(frozen=True, slots=True)
class ToOne:
    """An object fetched by primary key from `source`, the key held in the parent's `key` column.

    `projection` names parent columns that hold copies of the child's columns (denormalised on
    write, e.g. a key result's latest check-in): a selection that needs only those, and the
    child's id, is rendered from the parent row with no statement.
    """

    source: str
    key: str
    projection: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToOneList:
    """A list of objects fetched by primary key from `source`, the keys (in order) held in the
    parent's `key` column as a list (a bulk payload's created rows); a null key is a null
    entry. One statement for every key of every parent."""

    source: str
    key: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """A root object found by a unique key the client holds instead of an id
    (`keyResult(externalId:)`): `argument`'s value is compared with the catalog lookup `lookup`
    of `source` (a column unique in the organisation). One statement; null when none matches.
    `convert` turns the argument into the statement's parameter, raising a coded GraphQLError
    for a value no row can hold (text with a NUL) rather than sending it."""

    source: str
    lookup: str
    argument: str
    convert: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True, slots=True)
class FilterArg:
    """One field of a connection's `filter` input, bound to a filter of the relation's source."""

    filter: str
    convert: Callable[[Any], Any] = lambda value: value


@dataclass(frozen=True, slots=True)
class Many:
    """A Relay connection over `relation` (db/catalog.py), paginated per parent.

    `filters` maps the GraphQL filter input's field names to catalog filters; `orders` maps the
    order enum's values to catalog orders (the first one is the default). `arguments` binds the
    field's own arguments (`auditEvents(subjectId:)`) to catalog filters the same way.
    `refuse` says why the caller may not read the connection at all (a FORBIDDEN error on the
    field), or None when they may.
    """

    relation: str
    filters: Mapping[str, FilterArg] = field(default_factory=dict)
    orders: Mapping[str, str] = field(default_factory=dict)
    parent_key: str = "id"  # the parent row's column the relation's link is compared with
    arguments: Mapping[str, FilterArg] = field(default_factory=dict)
    refuse: Callable[[ReadContext], str | None] | None = None


@dataclass(frozen=True, slots=True)
class Embedded:
    """An object, or a list of objects, carried in the parent row as plain dicts (a payload's
    user errors): rendered from the dicts, no statement."""

    key: str


@dataclass(frozen=True, slots=True)
class Mutation:
    """A root mutation field: `run(context, arguments)` performs the use case in its own
    transaction and returns the payload row, which the planner renders like any other row
    (entities by id, read after the write committed)."""

    run: Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class Subscribed:
    """A root subscription field: fires on events of `event_types`; for each, `run(context,
    arguments)` returns the payload row to render, or None when the subscriber's filter does
    not match (the context carries the event's facts)."""

    event_types: frozenset[str]
    run: Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True, slots=True)
class NodeById:
    """`node(id:)` / `nodes(ids:)`: objects of any Node type, by global id."""

    many: bool


FieldMapping = (
    Column
    | Derived
    | Value
    | ToOne
    | ToOneList
    | Lookup
    | Many
    | NodeById
    | Embedded
    | Mutation
    | Subscribed
)
