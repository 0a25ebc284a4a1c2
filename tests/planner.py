"""The planner without a database: documents compiled against the real schema, and rows given
by a test as PostgreSQL would send them, for the planner's unit tests (tests/unit/).

`compile_query` takes the executor's own road to a plan (parse, limits, validation, variable
coercion), so a plan under test is the plan a request would run. `GivenRows` is the planner's
one input besides the plan: each statement it is asked for is recorded and answered with the
next rows the test gave.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from api.executor import check
from api.settings import Settings
from db.planner.mapping import ReadContext
from db.planner.plan import Fetch, ObjectPlan, OperationPlan, compile_operation
from db.planner.run import execute
from domain.permissions import Actor
from schema.app_schema import schema
from schema.query import ORGANIZATION_KEY, ROOT_KEY, VIEWER_KEY

SETTINGS = Settings(environment="development")
NOW = dt.datetime(2026, 11, 16, 12, tzinfo=dt.UTC)
READ = ReadContext(
    organization_id=7, user_id=3, now=NOW, time_zone="UTC", actor=Actor(user_id=3, role="ADMIN")
)


def compile_query(document: str, variables: dict[str, Any] | None = None) -> OperationPlan:
    checked = check(SETTINGS, document, None, variables)
    return compile_operation(
        schema._schema,
        checked.operation,
        checked.prepared.fragments,
        checked.variables.coerced,
    )


def fetches(plan: ObjectPlan) -> Iterator[Fetch]:
    """Every fetch under `plan`, depth first in selection order."""
    for fetch in plan.fetches:
        yield fetch
        children: list[ObjectPlan] = []
        if fetch.plan is not None:
            children.append(fetch.plan)
        if fetch.shape is not None:
            children.extend(fetch.shape.node_plans)
        children.extend(fetch.plans_by_type.values())
        for child in children:
            yield from fetches(child)


def by_path(plan: OperationPlan) -> dict[str, Fetch]:
    return {".".join(f.path): f for f in fetches(plan.root)}


def row(**columns: Any) -> defaultdict[str, Any]:
    """A row with the given columns; any other column reads as NULL."""
    return defaultdict(lambda: None, columns)


def batched(*parts: Sequence[dict[str, Any]]) -> list[defaultdict[str, Any]]:
    """The rows of several statements sent as one (db/planner/sql.py `batch_sql`): each row
    names its part, carries its columns as "<part>.<column>" and "<part>.__row"."""
    rows = []
    for i, part in enumerate(parts):
        for given in part:
            rows.append(
                row(__part=i, **{f"{i}.__row": True}, **{f"{i}.{k}": v for k, v in given.items()})
            )
    return rows


@dataclass
class GivenRows:
    """Answers the planner's statements, in the order they are sent, with the given rows."""

    answers: list[list[Any]]
    statements: list[tuple[str, tuple[Any, ...]]] = field(default_factory=list)

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        self.statements.append((query, args))
        assert self.answers, f"no rows given for statement {len(self.statements)}: {query}"
        return self.answers.pop(0)


async def run(
    document: str, answers: list[list[Any]], variables: dict[str, Any] | None = None
) -> tuple[dict[str, Any], GivenRows]:
    """The response data of a query whose statements get `answers`, and what was sent."""
    checked = check(SETTINGS, document, None, variables)
    plan = compile_operation(
        schema._schema, checked.operation, checked.prepared.fragments, checked.variables.coerced
    )
    conn = GivenRows(list(answers))
    root = {VIEWER_KEY: READ.user_id, ORGANIZATION_KEY: READ.organization_id, ROOT_KEY: 0}
    response = await execute(plan, conn, READ, checked.variables, root, SETTINGS)
    assert not conn.answers, "rows given for statements that were never sent"
    assert "errors" not in response, response["errors"]
    data: dict[str, Any] = response["data"]
    return data, conn
