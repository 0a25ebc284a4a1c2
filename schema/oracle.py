"""Resolvers for strawberry's standard executor, interpreting the field mappings naively.

The planner serves every query; these resolvers serve introspection-mixed documents and are
the oracle the planner is tested against: the test client (tests/graphql.py) sends every query
of the suite through both and compares the answers. They fetch per field and per parent on
purpose: simple enough to be obviously right.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry
from graphql.execution.values import VariableValues, get_argument_values

from db.catalog import RELATIONS, SOURCE_BY_TYPE, SOURCES
from db.ids import decode_id
from db.planner import cursors, single
from db.planner.mapping import (
    METADATA_KEY,
    Column,
    Derived,
    Embedded,
    Lookup,
    Many,
    Mutation,
    ToOne,
    ToOneList,
    Value,
)
from db.planner.run import admins_only_refusal, page_arguments, refusal
from db.planner.sql import order_of

if TYPE_CHECKING:
    from schema.context import RequestContext


def _mapping(info: strawberry.Info) -> Any:
    return info._field.metadata[METADATA_KEY]


def _context(info: strawberry.Info) -> RequestContext:
    context: RequestContext = info.context
    return context


def resolve_leaf(root: Any, info: strawberry.Info) -> Any:
    mapping: Column | Value | Embedded = _mapping(info)
    return root[mapping.column if isinstance(mapping, Column) else mapping.key]


async def resolve_mutation(info: strawberry.Info) -> Any:
    mapping: Mutation = _mapping(info)
    return await mapping.run(_context(info), _raw_arguments(info))


def _raw_arguments(info: strawberry.Info) -> dict[str, Any]:
    # The raw GraphQL arguments (names and values as the planner sees them), not strawberry's
    # converted keyword arguments, so both paths read arguments identically.
    raw = info._raw_info
    variables = raw.variable_values
    if isinstance(variables, dict):  # graphql-core hands resolvers the coerced dict
        variables = VariableValues(sources={}, coerced=variables)
    return get_argument_values(
        raw.parent_type.fields[raw.field_name], raw.field_nodes[0], variables
    )


def resolve_derived(root: Any, info: strawberry.Info) -> Any:
    mapping: Derived = _mapping(info)
    return mapping.fn(root, _context(info).read)


def _admins_only(source_name: str, info: strawberry.Info) -> None:
    refused = admins_only_refusal(source_name, _context(info).read)
    if refused is not None:
        raise refused


async def resolve_to_one(root: Any, info: strawberry.Info) -> Any:
    mapping: ToOne = _mapping(info)
    key = root[mapping.key]
    if key is None:
        return None
    _admins_only(mapping.source, info)
    ctx = _context(info)
    async with ctx.db_lock:
        rows = await single.fetch_by_ids(ctx.conn, ctx.read.organization_id, mapping.source, [key])
    row = rows.get(key)
    return None if row is None else _Typed(SOURCES[mapping.source].type_name, row)


async def resolve_to_one_list(root: Any, info: strawberry.Info) -> Any:
    mapping: ToOneList = _mapping(info)
    keys = root[mapping.key]
    if keys is None:
        return None
    ctx = _context(info)
    async with ctx.db_lock:
        rows = await single.fetch_by_ids(
            ctx.conn, ctx.read.organization_id, mapping.source, [k for k in keys if k is not None]
        )
    type_name = SOURCES[mapping.source].type_name
    return [None if rows.get(k) is None else _Typed(type_name, rows[k]) for k in keys]


async def resolve_lookup(info: strawberry.Info) -> Any:
    mapping: Lookup = _mapping(info)
    ctx = _context(info)
    async with ctx.db_lock:
        row = await single.fetch_by_lookup(
            ctx.conn,
            ctx.read.organization_id,
            mapping.source,
            mapping.lookup,
            mapping.convert(_raw_arguments(info)[mapping.argument]),
        )
    return None if row is None else _Typed(SOURCES[mapping.source].type_name, row)


async def resolve_nodes(info: strawberry.Info, ids: list[strawberry.ID]) -> list[Any]:
    ctx = _context(info)
    results = []
    for raw in ids:
        type_name, pk = decode_id(raw)
        _admins_only(SOURCE_BY_TYPE[type_name].name, info)
        async with ctx.db_lock:
            rows = await single.fetch_by_ids(
                ctx.conn, ctx.read.organization_id, SOURCE_BY_TYPE[type_name].name, [pk]
            )
        row = rows.get(pk)
        results.append(None if row is None else _Typed(type_name, row))
    return results


class _Typed:
    """A row that knows its GraphQL type, for Node's type resolution."""

    __slots__ = ("row", "type_name")

    def __init__(self, type_name: str, row: Any) -> None:
        self.type_name = type_name
        self.row = row

    def __getitem__(self, key: str) -> Any:
        return self.row[key]


def resolve_node_type(obj: Any) -> str | None:
    return obj.type_name if isinstance(obj, _Typed) else None


async def resolve_connection(root: Any, info: strawberry.Info, **args: Any) -> dict[str, Any]:
    mapping: Many = _mapping(info)
    ctx = _context(info)
    refused = refusal(mapping, ctx.read)
    if refused is not None:
        raise refused
    _admins_only(RELATIONS[mapping.relation].source, info)
    raw_args = _raw_arguments(info)
    first, after, filter_names, filter_values, order_name = page_arguments(
        mapping, raw_args, ctx.settings.max_page_size
    )
    order = order_of(RELATIONS[mapping.relation], order_name)
    cursor_values = [] if after is None else cursors.decode(after, order)
    async with ctx.db_lock:
        rows, total, keys = await single.fetch_page(
            ctx.conn,
            ctx.read.organization_id,
            mapping.relation,
            root[mapping.parent_key],
            first,
            cursor_values,
            filter_names,
            filter_values,
            order_name,
        )
    has_next = len(rows) > first
    rows, keys = rows[:first], keys[:first]
    encode = cursors.encoder(order)
    page_cursors = [encode(k) for k in keys]
    type_name = SOURCES[RELATIONS[mapping.relation].source].type_name
    rows = [_Typed(type_name, r) for r in rows]
    return {
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": after is not None,
            "startCursor": page_cursors[0] if page_cursors else None,
            "endCursor": page_cursors[-1] if page_cursors else None,
        },
        "edges": [{"cursor": c, "node": r} for c, r in zip(page_cursors, rows, strict=True)],
        "nodes": rows,
    }
