"""The benchmark's documents (bench/workloads/okrql) are API contract: they must keep working,
and (through the test client) give the same answers on the planner and the standard executor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from tests.arrange import objective_tree
from tests.graphql import GraphQLClient

WORKLOADS = Path(__file__).resolve().parents[2] / "bench" / "workloads" / "okrql"


def _document(name: str) -> str:
    return (WORKLOADS / f"{name}.graphql").read_text(encoding="utf-8")


async def _ids(demo: GraphQLClient) -> dict[str, str]:
    data = await demo.data(
        """{ cycles(first: 10) { nodes { id name } }
             objectives(first: 100, filter: {rootsOnly: false}) { nodes { id children(first: 1) { totalCount } } }
             keyResults(first: 1) { nodes { id } } }"""
    )
    cycle = next(c["id"] for c in data["cycles"]["nodes"] if c["name"] == "Q4 2026")
    objective = max(data["objectives"]["nodes"], key=lambda o: o["children"]["totalCount"])
    return {
        "cycle": cycle,
        "objective": objective["id"],
        "kr": data["keyResults"]["nodes"][0]["id"],
    }


async def test_dashboard_w1(demo: GraphQLClient) -> None:
    ids = await _ids(demo)
    data = await demo.data(_document("w1"), {"cycleId": ids["cycle"]})
    assert data["cycle"]["id"] == ids["cycle"]
    assert data["objectives"]["nodes"]


async def test_objective_page_w2(demo: GraphQLClient) -> None:
    ids = await _ids(demo)
    data = await demo.data(_document("w2"), {"id": ids["objective"]})
    page = data["objective"]
    assert page["children"]["nodes"]
    assert page["cycle"]["name"]


async def test_list_page_w4_pages_with_its_cursor(demo: GraphQLClient) -> None:
    ids = await _ids(demo)
    first = await demo.data(_document("w4"), {"cycleId": ids["cycle"], "after": None})
    page = first["objectives"]
    if page["pageInfo"]["hasNextPage"]:
        second = await demo.data(
            _document("w4"), {"cycleId": ids["cycle"], "after": page["pageInfo"]["endCursor"]}
        )
        assert second["objectives"]["edges"]


async def test_check_in_w3(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # Writes go to an organisation of the test's own, never to the shared demo.
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
    kr = (await gql.data("{ keyResults(first: 1) { nodes { id } } }"))["keyResults"]["nodes"][0]
    body = await gql(
        _document("w3"),
        {"input": {"keyResultId": kr["id"], "value": "42", "confidence": "ON_TRACK",
                   "comment": "bench"}},
    )  # fmt: skip
    payload = body["data"]["createCheckIn"]
    assert payload["userErrors"] == []
    assert payload["keyResult"]["currentValue"] == "42"
    assert payload["checkIn"]["value"] == "42"
