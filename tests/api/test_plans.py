"""Plans you can see, through the real endpoint: an administrator in development who sends
`extensions: {"plan": ...}` gets the plan and every statement with its parameters, rows and
time; a member, an API key and production get the very answer they would get without asking.
EXPLAIN ANALYZE is for queries only: a mutation's statements are planned, never run twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api import graphql_http
from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from services.identity import Identity
from tests.arrange import objective_tree
from tests.signin import api_key, member, signin_http, token_for

__all__ = ["signin_http"]

# README's dashboard without expectedProgress, which moves between two requests.
DASHBOARD = """query Dashboard($cycleId: ID!) {
  objectives(filter: {cycleId: $cycleId}, first: 100) {
    totalCount
    nodes {
      title status progress paceStatus
      ownerTeam { name }
      keyResults(first: 20) {
        nodes {
          title kind unit startValue currentValue targetValue progress score isOverdue
          lastCheckIn { value confidence measuredAt author { name } }
        }
      }
      children(first: 20) { nodes { title progress } }
    }
  }
}"""
RESPONSE_TYPE = "application/graphql-response+json"


@pytest.fixture
async def cycle(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> str:
    """Three objectives (the later two aligned under the first), two key results each."""
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 3)
        cycle_id = await conn.fetchval("SELECT id FROM cycle WHERE organization_id = $1", org["id"])
    return encode_id("Cycle", cycle_id)


async def post(
    http: httpx.AsyncClient,
    org: dict[str, Any],
    query: str,
    variables: dict[str, Any] | None = None,
    extensions: dict[str, Any] | None = None,
    bearer: str | None = None,
) -> dict[str, Any]:
    headers = {"x-organization": org["slug"], "accept": RESPONSE_TYPE}
    if bearer is not None:
        headers["authorization"] = f"Bearer {bearer}"
    body: dict[str, Any] = {"query": query, "variables": variables or {}}
    if extensions is not None:
        body["extensions"] = extensions
    response = await http.post("/graphql", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def fetching(plan: dict[str, Any]) -> list[list[str]]:
    """The fetches each statement served, for the statements that served any."""
    return [s["fetches"] for s in plan["statements"] if s["fetches"]]


async def test_an_admin_in_development_sees_the_plan_and_every_statement(
    http: httpx.AsyncClient, org: dict[str, Any], cycle: str
) -> None:
    variables = {"cycleId": cycle}
    plain = await post(http, org, DASHBOARD, variables)
    planned = await post(http, org, DASHBOARD, variables, {"plan": True})
    assert planned["data"] == plain["data"]
    assert list(plain["extensions"]) == ["cost"]
    plan = planned["extensions"]["plan"]

    (objectives,) = plan["tree"]["fetches"]
    assert (objectives["path"], objectives["kind"], objectives["relation"]) == (
        "objectives",
        "many",
        "objectives",
    )
    assert objectives["joined"][0]["source"] == "team"  # ownerTeam rides along
    (node,) = objectives["nodes"]
    assert [(f["path"], f["batchedBy"]) for f in node["fetches"]] == [
        ("objectives.nodes.keyResults", "parent.id"),
        ("objectives.nodes.children", "parent.id"),
    ]

    # One statement per level, whatever the rows; the two relations of a level share one.
    assert fetching(plan) == [
        ["objectives"],
        ["objectives.nodes.keyResults", "objectives.nodes.children"],
        ["objectives.nodes.keyResults.nodes.lastCheckIn"],
    ]
    first = next(s for s in plan["statements"] if s["fetches"] == ["objectives"])
    assert first["sql"].startswith("SELECT p.idx")
    assert first["parameters"][0] == org["id"]  # $1, the organisation, on every statement
    assert first["rows"] == 3
    assert first["ms"] > 0
    # The transaction's own statements are there too, serving no fetch.
    assert plan["statements"][0]["sql"].startswith("BEGIN")
    assert plan["statements"][-1]["sql"] == "COMMIT"
    assert 0 < plan["sqlMs"] <= plan["ms"]
    assert "explain" not in first


async def test_explain_analyzes_a_querys_statements(
    http: httpx.AsyncClient, org: dict[str, Any], cycle: str
) -> None:
    answer = await post(http, org, DASHBOARD, {"cycleId": cycle}, {"plan": {"explain": True}})
    plan = answer["extensions"]["plan"]
    assert plan["analyzed"] is True
    for statement in plan["statements"]:
        if statement["fetches"]:
            assert "actual time=" in statement["explain"], statement["explain"]
        else:  # BEGIN ...; SELECT set_config(...), COMMIT: nothing to explain
            assert "explain" not in statement


async def test_a_mutations_statements_are_explained_without_running_them_again(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    create = """mutation { createCycle(input: {name: "Q1 2027", startsOn: "2027-01-01",
        endsOn: "2027-03-31"}) { cycle { id name } userErrors { code } } }"""
    answer = await post(http, org, create, extensions={"plan": {"explain": True}})
    assert answer["data"]["createCycle"]["userErrors"] == []
    plan = answer["extensions"]["plan"]
    assert plan["analyzed"] is False
    (payload,) = plan["tree"]["fetches"]
    assert (payload["path"], payload["kind"]) == ("createCycle", "mutation")
    writes = [s for s in plan["statements"] if "INSERT INTO cycle" in s["sql"]]
    assert len(writes) == 1
    assert writes[0]["fetches"] == ["createCycle"]
    assert writes[0]["parameters"][:2] == [org["id"], "Q1 2027"]
    assert writes[0]["explain"].startswith("Insert on cycle")
    assert "actual time" not in writes[0]["explain"]
    # Written once: no second cycle, no second event.
    cycle_id = answer["data"]["createCycle"]["cycle"]["id"]
    after = await post(
        http,
        org,
        """query ($id: ID!) { cycles(first: 10) { totalCount }
            auditEvents(subjectId: $id, first: 10) { totalCount } }""",
        {"id": cycle_id},
    )
    assert after["data"] == {"cycles": {"totalCount": 1}, "auditEvents": {"totalCount": 1}}


async def test_a_get_request_asks_with_the_extensions_parameter(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.get(
        "/graphql",
        params={"query": "{ organization { name } }", "extensions": json.dumps({"plan": True})},
        headers={"x-organization": org["slug"], "accept": RESPONSE_TYPE},
    )
    assert response.status_code == 200
    assert fetching(response.json()["extensions"]["plan"]) == [["organization"]]


async def test_introspection_has_no_plan_to_show(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    answer = await post(http, org, "{ __schema { queryType { name } } }", extensions={"plan": True})
    assert answer["data"] == {"__schema": {"queryType": {"name": "Query"}}}
    assert "plan" not in answer.get("extensions", {})


async def test_members_and_keys_get_the_answer_without_the_plan(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any], cycle: str
) -> None:
    await member(pool, org, "Mia", "MEMBER")
    key = await api_key(pool, org, "read")
    # A personal access token acts as its person, an admin here, but never administers.
    personal = await api_key(pool, org, "read", user_id=org["admin_id"])
    variables = {"cycleId": cycle}
    callers = {
        "member": token_for(f"mia+{org['slug']}@test.example"),
        "API key": key.secret,
        "admin's personal access token": personal.secret,
    }
    for caller, bearer in callers.items():
        plain = await post(signin_http, org, DASHBOARD, variables, bearer=bearer)
        asked = await post(
            signin_http, org, DASHBOARD, variables, {"plan": {"explain": True}}, bearer
        )
        assert asked == plain, caller
        assert list(asked["extensions"]) == ["cost"], caller
    # The same app shows it to an administrator signed in with a token.
    admin = token_for(f"admin+{org['slug']}@test.example")
    answer = await post(signin_http, org, DASHBOARD, variables, {"plan": True}, admin)
    assert fetching(answer["extensions"]["plan"])[0] == ["objectives"]


@pytest.fixture(scope="module")
async def production_app(database_url: str) -> AsyncIterator[Any]:
    settings = Settings(environment="production", pool_min_size=1, pool_max_size=2)
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        yield app


async def test_production_shows_no_plan_even_to_admins(
    production_app: Any,
    org: dict[str, Any],
    cycle: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def admin(request: Any) -> Identity:
        # Authentication is not under test: the endpoint acts as the organisation's admin.
        return Identity(org["id"], org["admin_id"], "Europe/Stockholm", "ADMIN")

    monkeypatch.setattr(graphql_http, "resolve_graphql_identity", admin)
    transport = httpx.ASGITransport(app=production_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
        variables = {"cycleId": cycle}
        plain = await post(client, org, DASHBOARD, variables)
        asked = await post(client, org, DASHBOARD, variables, {"plan": {"explain": True}})
    assert asked == plain
    assert list(asked["extensions"]) == ["cost"]


async def test_graphiql_has_the_plan_tab_in_development_only(
    http: httpx.AsyncClient,
    production_app: Any,
    org: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = {"accept": "text/html", "x-organization": org["slug"]}
    development = await http.get("/graphql", headers=page)
    assert "window.OkrqlPlan" in development.text
    assert '"plans": true' in development.text

    async def admin(request: Any) -> Identity:
        return Identity(org["id"], org["admin_id"], "Europe/Stockholm", "ADMIN")

    monkeypatch.setattr(graphql_http, "resolve_graphql_identity", admin)
    transport = httpx.ASGITransport(app=production_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
        production = await client.get("/graphql", headers=page)
    assert production.status_code == 200
    assert "window.OkrqlPlan" not in production.text
    assert '"plans": false' in production.text
