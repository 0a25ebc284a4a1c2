"""A compiled plan as JSON, for people: what each level of a query reads, from where, batched on
which parent key, and how each field gets its value (README "Plans you can see").

Only a request that asked for its plan is described; the planner never reads this.
"""

from __future__ import annotations

from typing import Any

from db.catalog import RELATIONS
from db.planner.mapping import Lookup, Many
from db.planner.plan import Fetch, Fold, ObjectPlan, OperationPlan
from db.planner.sql import by_key_sql, lookup_sql


def describe(plan: OperationPlan, application_filter: bool = True) -> dict[str, Any]:
    return _object(plan.root, application_filter)


def _object(plan: ObjectPlan, application_filter: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"type": plan.type_name}
    if plan.source is not None:
        out["source"] = plan.source.name
        out["columns"] = list(plan.columns)
    if plan.folds:
        out["joined"] = [_fold(f) for f in plan.folds]
    out["fields"] = {key: _field(kind, detail) for key, kind, detail in plan.steps}
    if plan.fetches:
        out["fetches"] = [_fetch(f, application_filter) for f in plan.fetches]
    return out


def _fold(fold: Fold) -> dict[str, Any]:
    return {
        "alias": fold.alias,
        "source": fold.source,
        "on": f"parent.{fold.parent_key}",
        "columns": list(fold.columns),
    }


def _field(kind: str, detail: Any) -> str:
    if kind == "const":
        return f"constant {detail!r}"
    if kind == "leaf":
        return f"column {detail[0]}"
    if kind == "derived":
        fn = detail[0]
        return f"derived by {fn.__module__}.{fn.__qualname__}"
    if kind == "projected":
        key_column, _, pairs = detail
        if key_column.endswith("__id"):  # a Fold's id: <alias>__id
            return f"joined as {key_column.removesuffix('__id')}"
        return "copied on the parent row: " + ", ".join(f"{c} = {p}" for c, p in pairs)
    if kind == "embedded":
        return f"embedded from {detail[0]}"
    _, parent_column = detail
    return "fetched below" + ("" if parent_column == "__root" else f", by parent.{parent_column}")


def _fetch(fetch: Fetch, application_filter: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": ".".join(fetch.path),
        "kind": fetch.kind,
        "mapping": type(fetch.mapping).__name__,
    }
    if fetch.parent_column != "__root":
        # Every parent's key goes into one array parameter: one statement for the level.
        out["batchedBy"] = f"parent.{fetch.parent_column}"
    plan, mapping = fetch.plan, fetch.mapping
    if fetch.kind in ("one", "each") and plan is not None and plan.source is not None:
        out["sql"] = by_key_sql(plan.source.name, plan.columns, plan.folds, application_filter)
        out["object"] = _object(plan, application_filter)
    elif isinstance(mapping, Lookup) and plan is not None:
        out["sql"] = lookup_sql(
            mapping.source, mapping.lookup, plan.columns, plan.folds, application_filter
        )
        out["object"] = _object(plan, application_filter)
    elif isinstance(mapping, Many) and fetch.shape is not None:
        shape = fetch.shape
        relation = RELATIONS[mapping.relation]
        # Its statement depends on the request's filters, order and cursor: the statements
        # list has it as it ran.
        out["relation"] = mapping.relation
        out["source"] = relation.source
        if relation.link is not None:
            out["link"] = relation.link
        out["columns"] = list(shape.columns)
        out["totalCount"] = shape.with_total
        if shape.folds:
            out["joined"] = [_fold(f) for f in shape.folds]
        out["nodes"] = [_object(p, application_filter) for p in shape.node_plans]
    elif fetch.kind == "node":
        out["byType"] = {
            name: _object(p, application_filter) for name, p in fetch.plans_by_type.items()
        }
    elif plan is not None:  # a mutation's or subscription's payload
        out["payload"] = _object(plan, application_filter)
    return out
