"""Field-by-field reads for strawberry's standard executor, the planner's differential oracle.

Each call fetches for one parent only, through the same catalog and statement shapes as the
planner, so a difference between the two paths points at selection walking, batching,
stitching or rendering: the parts the planner adds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from db.catalog import RELATIONS, SOURCES
from db.planner.run import Connection
from db.planner.sql import ROW_KEY_PREFIX, by_key_sql, connection_sql, lookup_sql, order_of


def all_columns(source_name: str) -> tuple[str, ...]:
    return tuple(SOURCES[source_name].columns)


async def fetch_by_ids(
    conn: Connection, organization_id: int, source_name: str, ids: Sequence[int]
) -> dict[int, Any]:
    rows = await conn.fetch(
        by_key_sql(source_name, all_columns(source_name)), organization_id, list(ids)
    )
    return {row["id"]: row for row in rows}


async def fetch_by_lookup(
    conn: Connection, organization_id: int, source_name: str, lookup: str, key: Any
) -> Any | None:
    rows = await conn.fetch(
        lookup_sql(source_name, lookup, all_columns(source_name)), organization_id, key
    )
    return rows[0] if rows else None


async def fetch_page(
    conn: Connection,
    organization_id: int,
    relation_name: str,
    parent_key: int,
    first: int,
    cursor_values: Sequence[str],
    filter_names: Sequence[str],
    filter_values: Sequence[Any],
    order_name: str | None,
) -> tuple[list[Any], int, list[list[Any]]]:
    """Rows of one parent's page (first + 1 at most), its total, and each row's sort keys."""
    relation = RELATIONS[relation_name]
    width = len(order_of(relation, order_name).keys)
    sql = connection_sql(
        relation_name,
        all_columns(relation.source),
        tuple(filter_names),
        order_name,
        bool(cursor_values),
        True,
    )
    rows = await conn.fetch(
        sql, organization_id, [parent_key], first + 1, *filter_values, *cursor_values
    )
    total = rows[0]["__total"] if rows else 0
    present = [r for r in rows if r[f"{ROW_KEY_PREFIX}{width - 1}"] is not None]
    keys = [[r[f"{ROW_KEY_PREFIX}{i}"] for i in range(width)] for r in present]
    return present, total, keys
