"""The statements of the read path, composed from catalog fragments (db/catalog.py).

Two shapes serve every relation, each one statement for all parents of a level:

- by key: the rows of a source whose id is in an array (to-one relations, `node`, `nodes`);
- connection: per parent key, a keyset-paginated, filtered, ordered page (a LATERAL subquery
  per parent, so each parent gets its own LIMIT), optionally with the parent's total count.

Root connections are connections of a single dummy parent, so one shape covers both. Parameter
numbering is fixed: $1 organisation, $2 keys, then the limit, filters and cursor values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from db.catalog import RELATIONS, SOURCES, Order, Relation, Source

if TYPE_CHECKING:
    from db.planner.plan import Fold

ROW_KEY_PREFIX = "__k"


def _select_list(source: Source, columns: Iterable[str]) -> str:
    return ", ".join(f'{source.columns[c]} AS "{c}"' for c in columns)


def _joins(source: Source, columns: Iterable[str]) -> str:
    needed = {source.column_joins[c] for c in columns if c in source.column_joins}
    return "".join(f" {source.joins[j]}" for j in source.joins if j in needed)


# Where the application's own tenant predicate would stand when a test switches it off to show
# that row-level security alone keeps organisations apart ($1 stays a typed parameter).
_NO_TENANT_FILTER = "$1::bigint IS NOT NULL"


def _tenant(source: Source, application_filter: bool) -> str:
    return source.tenant if application_filter else _NO_TENANT_FILTER


def _fold_columns(folds: tuple[Fold, ...]) -> str:
    return "".join(f', {f.alias}."{c}" AS "{f.alias}__{c}"' for f in folds for c in f.columns)


def _fold_joins(folds: tuple[Fold, ...], parent: str, application_filter: bool) -> str:
    # After any per-parent LIMIT, one index lookup per parent row: the child's own statement
    # would do the same lookups, a round trip later. LIMIT 1 (a to-one has at most one row)
    # also keeps PostgreSQL from flattening the lateral into a join that could reorder the
    # page's rows.
    joins = []
    for f in folds:
        child = SOURCES[f.source]
        joins.append(
            f" LEFT JOIN LATERAL (SELECT {_select_list(child, f.columns)}"
            f" FROM {child.from_}{_joins(child, f.columns)}"
            f" WHERE {_tenant(child, application_filter)}"
            f' AND t.id = {parent}."{f.parent_key}" LIMIT 1) {f.alias}'
            " ON true"
        )
    return "".join(joins)


def _rows_where(
    source: Source,
    columns: tuple[str, ...],
    folds: tuple[Fold, ...],
    predicate: str,
    application_filter: bool,
) -> str:
    base = (
        f"SELECT {_select_list(source, columns)} FROM {source.from_}{_joins(source, columns)}"
        f" WHERE {_tenant(source, application_filter)} AND {predicate}"
    )
    if not folds:
        return base
    joins = _fold_joins(folds, "s", application_filter)
    return f"SELECT s.*{_fold_columns(folds)} FROM ({base}) s{joins}"


@functools.cache
def by_key_sql(
    source_name: str,
    columns: tuple[str, ...],
    folds: tuple[Fold, ...] = (),
    application_filter: bool = True,
) -> str:
    return _rows_where(
        SOURCES[source_name], columns, folds, "t.id = ANY($2::bigint[])", application_filter
    )


@functools.cache
def lookup_sql(
    source_name: str,
    lookup: str,
    columns: tuple[str, ...],
    folds: tuple[Fold, ...] = (),
    application_filter: bool = True,
) -> str:
    """The row of a source whose unique lookup key (db/catalog.py `lookups`) equals $2."""
    source = SOURCES[source_name]
    return _rows_where(source, columns, folds, f"{source.lookups[lookup]} = $2", application_filter)


def order_of(relation: Relation, order_name: str | None) -> Order:
    source = SOURCES[relation.source]
    return source.orders[order_name or relation.default_order]


def _total_sql(
    relation: Relation, filters: tuple[str, ...], application_filter: bool
) -> str | None:
    """The total from the source's counts table, when its groups express every predicate
    (parameters numbered as connection_sql's); None when the rows must be counted."""
    counts = SOURCES[relation.source].counts
    if counts is None or relation.through or not set(filters) <= set(counts.filters):
        return None
    predicates = [counts.tenant if application_filter else _NO_TENANT_FILTER]
    if relation.link is not None:
        if relation.link not in counts.links:
            return None
        predicates.append(f"{counts.links[relation.link]} = p.key")
    for param, name in enumerate(filters, start=4):
        f = counts.filters[name]
        predicates.append(f.sql.format(f"${param}::{f.sql_type}"))
    return (
        f"SELECT coalesce(sum({counts.count}), 0)::bigint AS total"
        f" FROM {counts.from_} WHERE {' AND '.join(predicates)}"
    )


@functools.cache
def connection_sql(
    relation_name: str,
    columns: tuple[str, ...],
    filters: tuple[str, ...],
    order_name: str | None,
    has_after: bool,
    with_total: bool,
    folds: tuple[Fold, ...] = (),
    application_filter: bool = True,
) -> str:
    """One page per parent key. Parameters: $1 org, $2 parent keys, $3 limit, then one per
    filter in `filters` order, then one per order key when `has_after`."""
    relation = RELATIONS[relation_name]
    source = SOURCES[relation.source]
    order = order_of(relation, order_name)
    predicates = [_tenant(source, application_filter)]
    if relation.link is not None:
        predicates.append(f"{relation.link} = p.key")
    param = 4
    for name in filters:
        f = source.filters[name]
        predicates.append(f.sql.format(f"${param}::{f.sql_type}"))
        param += 1
    base_from = f"{source.from_} {relation.through}".rstrip()
    total = _total_sql(relation, filters, application_filter) or (
        f"SELECT count(*) AS total FROM {base_from} WHERE {' AND '.join(predicates)}"
    )

    keys = [expr for expr, _ in order.keys]
    if has_after:
        # Keyset pagination: rows strictly after the cursor in the sort order. Every order's
        # keys share one direction, so a row comparison expresses it and can use the index.
        cursor_params = ", ".join(
            f"(${param + i}::text)::{sql_type}" for i, (_, sql_type) in enumerate(order.keys)
        )
        op = "<" if order.descending else ">"
        predicates.append(f"({', '.join(keys)}) {op} ({cursor_params})")
    direction = " DESC" if order.descending else ""
    order_by = ", ".join(f"{k}{direction}" for k in keys)
    key_columns = ", ".join(f'{k} AS "{ROW_KEY_PREFIX}{i}"' for i, k in enumerate(keys))

    page = (
        f"SELECT {_select_list(source, columns)}, {key_columns}"
        f" FROM {base_from}{_joins(source, columns)}"
        f" WHERE {' AND '.join(predicates)} ORDER BY {order_by} LIMIT $3"
    )
    parents = "unnest($2::bigint[]) WITH ORDINALITY AS p(key, idx)"
    folded, fold_joins = _fold_columns(folds), _fold_joins(folds, "s", application_filter)
    if not with_total:
        return (
            f'SELECT p.idx AS "__idx", s.*{folded} FROM {parents}'
            f" CROSS JOIN LATERAL ({page}) s{fold_joins}"
        )
    # A parent without rows still needs its count: LEFT JOIN keeps it as one all-NULL row.
    return (
        f'SELECT p.idx AS "__idx", n.total AS "__total", s.*{folded} FROM {parents}'
        f" CROSS JOIN LATERAL ({total}) n"
        f" LEFT JOIN LATERAL ({page}) s ON true{fold_joins}"
    )


def by_key_names(columns: tuple[str, ...], folds: tuple[Fold, ...] = ()) -> tuple[str, ...]:
    """The output columns of by_key_sql and lookup_sql, in order."""
    return columns + tuple(f"{f.alias}__{c}" for f in folds for c in f.columns)


def connection_names(
    columns: tuple[str, ...], order_keys: int, with_total: bool, folds: tuple[Fold, ...] = ()
) -> tuple[str, ...]:
    """The output columns of connection_sql, in order."""
    head = ("__idx", "__total") if with_total else ("__idx",)
    keys = tuple(f"{ROW_KEY_PREFIX}{i}" for i in range(order_keys))
    return head + columns + keys + tuple(f"{f.alias}__{c}" for f in folds for c in f.columns)


_PARAMETER = re.compile(r"\$(\d+)")


@functools.cache
def batch_sql(parts: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """Several statements of one level (`parts`: SQL and its output columns) as one round trip.

    Each part keeps its rows and their order: one outer row per part, joined LATERAL to that
    part's statement, which runs only for its own outer row; part i's columns come out as
    "i.<name>" (NULL on the other parts' rows), beside "__part", and "i.__row" is true on the
    part's rows (a part without rows leaves one row of NULLs). $1 (the organisation) is
    shared; every other parameter is renumbered after those of the parts before it.
    """
    select = ['p.part AS "__part"']
    joins = []
    offset = 0
    for i, (sql, names) in enumerate(parts):
        numbers = [int(n) for n in _PARAMETER.findall(sql)]
        shift = offset

        def renumber(match: re.Match[str], shift: int = shift) -> str:
            n = int(match.group(1))
            return "$1" if n == 1 else f"${n + shift}"

        joins.append(
            f' LEFT JOIN LATERAL (SELECT true AS "__row", * FROM ({_PARAMETER.sub(renumber, sql)})'
            f" s WHERE p.part = {i}) s{i} ON true"
        )
        select.extend(f's{i}."{name}" AS "{i}.{name}"' for name in ("__row", *names))
        offset += max(numbers, default=1) - 1
    values = ", ".join(f"({i})" for i in range(len(parts)))
    return f"SELECT {', '.join(select)} FROM (VALUES {values}) AS p(part){''.join(joins)}"
