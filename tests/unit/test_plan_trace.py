"""Plans you can see, without a database: a compiled plan described for people
(db/planner/describe.py), and statements recorded as they pass (db/planner/trace.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from db.planner.describe import describe
from db.planner.trace import PlanTrace, explainable
from tests.planner import compile_query


def test_a_plan_is_described_level_by_level_with_its_batching_keys() -> None:
    plan = compile_query(
        "{ objectives(first: 5) { nodes { title ownerUser { name }"
        " keyResults(first: 3) { nodes { progress lastCheckIn { value author { name } } } } } } }"
    )
    tree = describe(plan)
    assert tree["type"] == "Query"
    assert tree["fields"] == {"objectives": "fetched below"}
    (objectives,) = tree["fetches"]
    assert "batchedBy" not in objectives  # the root's
    assert objectives["joined"] == [
        {"alias": "j1", "source": "user", "on": "parent.owner_user_id", "columns": ["id", "name"]}
    ]
    (node,) = objectives["nodes"]
    assert node["fields"] == {
        "title": "column title",
        "ownerUser": "joined as j1",
        "keyResults": "fetched below, by parent.id",
    }
    (key_results,) = node["fetches"]
    assert (key_results["relation"], key_results["link"]) == (
        "objective.key_results",
        "t.objective_id",
    )
    (kr,) = key_results["nodes"]
    assert kr["fields"]["progress"] == "derived by schema.key_results.types._progress"
    (check_in,) = kr["fetches"]
    assert check_in["batchedBy"] == "parent.last_check_in_id"
    assert "t.id = ANY($2::bigint[])" in check_in["sql"]  # the statement, as it will run


class Answers:
    """A connection whose statements answer with given results, or fail."""

    def __init__(self, *results: Any) -> None:
        self.results = list(results)

    async def fetch(self, query: str, *args: Any) -> Any:
        result = self.results.pop(0)
        if isinstance(result, Exception):
            raise result
        return result

    async def execute(self, query: str, *args: Any) -> Any:
        return await self.fetch(query, *args)


async def test_statements_are_recorded_with_their_parameters_rows_and_fetches() -> None:
    trace = PlanTrace()
    conn = trace.wrap(Answers([{"id": 1}, {"id": 2}], "INSERT 0 3", ValueError("boom")))
    trace.serving = (("objectives",),)
    await conn.fetch("SELECT 1", 7, [1, 2], Decimal("1.50"), dt.date(2026, 1, 2), {"a": None})
    trace.serving = ()
    await conn.execute("INSERT INTO x VALUES ($1)", 1)
    with pytest.raises(ValueError, match="boom"):
        await conn.fetch("SELECT broken")
    first, insert, failed = trace.report()["statements"]
    assert first["fetches"] == ["objectives"]
    assert (first["rows"], first["sql"]) == (2, "SELECT 1")
    assert first["parameters"] == [7, [1, 2], "1.50", "2026-01-02", {"a": None}]
    assert first["ms"] >= 0
    assert (insert["fetches"], insert["call"], insert["rows"]) == ([], "execute", 3)
    assert failed["error"] == "ValueError: boom"
    assert "explain" not in first  # not asked for


@pytest.mark.parametrize(
    ("call", "sql", "args", "expected"),
    [
        ("fetch", "SELECT 1", (), True),
        (
            "fetch",
            "-- a named query\n/* with notes */ WITH x AS (SELECT 1) SELECT * FROM x",
            (),
            True,
        ),
        ("fetchrow", "INSERT INTO cycle VALUES ($1) RETURNING id", (1,), True),
        ("execute", "UPDATE objective SET title = $2 WHERE id = $1", (1, "t"), True),
        # The simple protocol: possibly several statements, which EXPLAIN cannot take.
        ("execute", "BEGIN; SELECT set_config('okrql.organization_id', '1', true)", (), False),
        ("execute", "SAVEPOINT okrql_1", (), False),
        ("fetch", "LOCK TABLE objective", (), False),
    ],
)
def test_only_single_explainable_statements_are_explained(
    call: str, sql: str, args: tuple[Any, ...], expected: bool
) -> None:
    assert explainable(call, sql, args) is expected
