"""The limits of the README's "Limits", through the real endpoint.

Each limit just under (the request runs) and just over (a coded request error, and not one
SQL statement: the app's pool is wrapped to count connections taken and statements run).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from graphql import Source
from graphql.language import Lexer, TokenKind

from api import graphql_http
from api.app import create_app
from api.settings import Settings
from services.identity import Identity
from tests.graphql import GraphQLClient

RESPONSE_TYPE = "application/graphql-response+json"


class CountingPool:
    """The app's pool, counting what could run SQL: connections taken and pool statements."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self.used = 0

    def acquire(self, *args: Any, **kwargs: Any) -> Any:
        self.used += 1
        return self._pool.acquire(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._pool, name)
        if name not in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
            return attribute

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.used += 1
            return await attribute(*args, **kwargs)

        return counted


@pytest.fixture
def sql(app: Any) -> Iterator[CountingPool]:
    # (monkeypatch would delete the attribute on undo: Starlette's State keeps a dict)
    pool = app.state.pool
    counting = CountingPool(pool)
    app.state.pool = counting
    try:
        yield counting
    finally:
        app.state.pool = pool


def headers(org: dict[str, Any]) -> dict[str, str]:
    return {"accept": RESPONSE_TYPE, "x-organization": org["slug"]}


async def refused(
    gql: GraphQLClient, sql: CountingPool, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The single error of a request refused with 400, before any SQL."""
    before = sql.used
    response = await gql.post(query, variables)
    assert response.status_code == 400, response.text
    body = response.json()
    assert "data" not in body
    assert sql.used == before, "SQL ran for a refused request"
    [error] = body["errors"]
    extensions: dict[str, Any] = error.get("extensions", {})  # validation errors have none
    assert extensions.get("code") != "INTERNAL_SERVER_ERROR"
    return {"message": error["message"], **extensions}


async def runs(gql: GraphQLClient, query: str, variables: dict[str, Any] | None = None) -> Any:
    body = await gql(query, variables)
    assert "errors" not in body, body["errors"]
    return body


def cycle_chain(levels: int) -> str:
    """A query `levels + 3` deep."""
    return (
        "{ cycles(first: 1) { nodes { "
        + "parentCycle { " * levels
        + "id"
        + " }" * levels
        + " } } }"
    )


def token_count(query: str) -> int:
    lexer = Lexer(Source(query))
    count = 0
    while lexer.advance().kind is not TokenKind.EOF:
        count += 1
    return count


# --- limits of the document -------------------------------------------------------------------


async def test_depth(gql: GraphQLClient, sql: CountingPool) -> None:
    await runs(gql, cycle_chain(9))  # 12 deep
    error = await refused(gql, sql, cycle_chain(10))
    assert error["code"] == "DEPTH_LIMIT_EXCEEDED"
    assert (error["depth"], error["maxDepth"]) == (13, 12)


async def test_depth_counts_through_fragments(gql: GraphQLClient, sql: CountingPool) -> None:
    fragment = "fragment Deep on Cycle { " + "parentCycle { " * 9 + "id" + " }" * 9 + " }"
    await runs(gql, "{ cycles(first: 1) { nodes { ...Deep } } } " + fragment)
    error = await refused(
        gql, sql, "{ cycles(first: 1) { nodes { parentCycle { ...Deep } } } } " + fragment
    )
    assert error["code"] == "DEPTH_LIMIT_EXCEEDED"


async def test_aliases(gql: GraphQLClient, sql: CountingPool) -> None:
    fields = [f"a{i}: organization {{ name }}" for i in range(51)]
    await runs(gql, "{ " + " ".join(fields[:50]) + " }")
    error = await refused(gql, sql, "{ " + " ".join(fields) + " }")
    assert (error["code"], error["aliases"], error["maxAliases"]) == ("TOO_MANY_ALIASES", 51, 50)


async def test_directives(gql: GraphQLClient, sql: CountingPool) -> None:
    query = (
        "query ($yes: Boolean = true) { organization { name "
        + "id @include(if: $yes) " * 50
        + "} }"
    )
    await runs(gql, query)
    error = await refused(gql, sql, query.replace("name", "name @skip(if: false)"))
    assert (error["code"], error["directives"], error["maxDirectives"]) == (
        "TOO_MANY_DIRECTIVES",
        51,
        50,
    )


async def test_tokens(gql: GraphQLClient, sql: CountingPool) -> None:
    def query(statuses: int) -> str:
        listed = ", ".join(["ACTIVE"] * statuses)
        return f"{{ objectives(first: 1, filter: {{status: [{listed}]}}) {{ totalCount }} }}"

    padding = 5_000 - token_count(query(0))
    assert token_count(query(padding)) == 5_000
    await runs(gql, query(padding))
    error = await refused(gql, sql, query(padding + 1))
    assert (error["code"], error["maxTokens"]) == ("TOO_MANY_TOKENS", 5_000)


async def test_request_body_size(
    http: httpx.AsyncClient, org: dict[str, Any], sql: CountingPool
) -> None:
    def body(size: int) -> bytes:
        start = b'{"query": "{ organization { name } }'
        end = b'"}'
        return start + b" " * (size - len(start) - len(end)) + end

    sent = {**headers(org), "content-type": "application/json"}
    ok = await http.post("/graphql", content=body(1_000_000), headers=sent)
    assert ok.status_code == 200, ok.text
    used = sql.used
    response = await http.post("/graphql", content=body(1_000_001), headers=sent)
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert sql.used == used


# --- pages and cost ---------------------------------------------------------------------------


@pytest.mark.parametrize("first", [-1, 1001])
async def test_first_is_capped_before_sql(
    gql: GraphQLClient, sql: CountingPool, first: int
) -> None:
    # nested, where the planner would only have seen it after the outer statement
    query = (
        "query ($n: Int!) { cycles(first: 5) { nodes { objectives(first: $n) { totalCount } } } }"
    )
    await runs(gql, query, {"n": 1000})
    error = await refused(gql, sql, query, {"n": first})
    assert error["code"] == "BAD_USER_INPUT"
    assert "`first`" in error["message"]


async def test_first_is_required(gql: GraphQLClient, sql: CountingPool) -> None:
    error = await refused(gql, sql, "{ cycles { totalCount } }")
    assert "first" in error["message"]


# 1 + 500 * (1 + (1 + 996 * 1)) + 1 + 998 * 1 = 500,000 exactly: the default maximum.
AT_MAXIMUM = (
    "{ objectives(first: 500) { nodes { keyResults(first: 996) { nodes { id } } } } "
    "cycles(first: 998) { nodes { id } } }"
)


async def test_cost(gql: GraphQLClient, sql: CountingPool) -> None:
    assert Settings().max_query_cost == 500_000
    body = await runs(gql, AT_MAXIMUM)
    assert body["extensions"] == {"cost": {"requested": 500_000, "limit": 500_000}}
    error = await refused(
        gql, sql, AT_MAXIMUM.replace("{ objectives", "{ organization { name } objectives")
    )
    assert error["code"] == "QUERY_TOO_COSTLY"
    assert (error["cost"], error["maxCost"]) == (500_001, 500_000)


async def test_cost_is_reported_for_every_successful_request(gql: GraphQLClient) -> None:
    query = "query ($n: Int!) { organization { name } objectives(first: $n) { nodes { title } } }"
    body = await runs(gql, query, {"n": 7})
    assert body["extensions"]["cost"] == {"requested": 1 + 1 + 7, "limit": 500_000}
    body = await gql(
        'mutation { createTeam(input: {name: "Limits"}) { team { name } userErrors { code } } }'
    )
    assert body["data"]["createTeam"]["team"] == {"name": "Limits"}
    assert body["extensions"]["cost"]["requested"] == 10 + 1 + 1 + 1
    body = await runs(gql, "{ __schema { queryType { name } } }")
    assert body["extensions"]["cost"]["requested"] == 2


async def test_no_mutation_over_get(
    http: httpx.AsyncClient, org: dict[str, Any], sql: CountingPool
) -> None:
    used = sql.used
    response = await http.get(
        "/graphql",
        params={"query": 'mutation { createTeam(input: {name: "x"}) { team { id } } }'},
        headers=headers(org),
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert sql.used == used


# --- rate limiting ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def limited_app(database_url: str) -> AsyncIterator[Any]:
    """Buckets of 30 points that refill one point in 1,000 seconds."""
    settings = Settings(
        environment="development",
        pool_min_size=1,
        pool_max_size=2,
        rate_limit_capacity=30,
        rate_limit_refill_per_second=0.001,
    )
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def limited(limited_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=limited_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
        yield client


async def test_rate_limit(
    limited: httpx.AsyncClient,
    org: dict[str, Any],
    make_org: Callable[[], Awaitable[dict[str, Any]]],
) -> None:
    query = {"query": "{ objectives(first: 10) { nodes { title } } }"}  # costs 11
    for _ in range(2):
        response = await limited.post("/graphql", json=query, headers=headers(org))
        assert response.status_code == 200, response.text
    # the third does not fit in 30: 429, with how long to wait
    response = await limited.post("/graphql", json=query, headers=headers(org))
    assert response.status_code == 429
    retry_after = int(response.headers["retry-after"])
    assert retry_after >= 2_000  # 3 points over, at 0.001 a second
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "RATE_LIMITED", "cost": 11, "retryAfter": retry_after}
    assert "data" not in response.json()
    # a cheaper request still fits; another caller has a bucket of its own
    cheap = await limited.post(
        "/graphql", json={"query": "{ organization { name } }"}, headers=headers(org)
    )
    assert cheap.status_code == 200
    other = await make_org()
    response = await limited.post("/graphql", json=query, headers=headers(other))
    assert response.status_code == 200


@pytest.fixture
def make_org(pool: Any) -> Callable[[], Awaitable[dict[str, Any]]]:
    import uuid

    from db.organizations import add_member, create_organization

    async def make() -> dict[str, Any]:
        slug = f"t-{uuid.uuid4().hex[:12]}"
        async with pool.acquire() as conn, conn.transaction():
            organization_id = await create_organization(conn, "Other AB", slug, "UTC")
            await add_member(conn, organization_id, "Ola", f"ola+{slug}@test.example", "ADMIN")
        return {"id": organization_id, "slug": slug}

    return make


# --- production: introspection, suggestions and GraphiQL for administrators only --------------


@pytest.fixture(scope="module")
async def production_app(database_url: str) -> AsyncIterator[Any]:
    settings = Settings(environment="production", pool_min_size=1, pool_max_size=2)
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture
async def production(
    production_app: Any, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Callable[[str], httpx.AsyncClient]]:
    """A client of the production app acting with the given role in `org`.

    Authentication is not under test here: the endpoint's identity is replaced.
    """
    role = {"value": "MEMBER"}

    async def identity(request: Any) -> Identity:
        return Identity(
            organization_id=org["id"],
            user_id=org["admin_id"],
            time_zone="Europe/Stockholm",
            role=role["value"],
        )

    monkeypatch.setattr(graphql_http, "resolve_graphql_identity", identity)
    transport = httpx.ASGITransport(app=production_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:

        def acting_as(value: str) -> httpx.AsyncClient:
            role["value"] = value
            return client

        yield acting_as


INTROSPECTION = [
    "{ __schema { queryType { name } } }",
    '{ __type(name: "Objective") { fields { name } } }',
    "query { ...Q } fragment Q on Query { __schema { types { name } } }",
    "{ ... on Query { __typename __schema { queryType { name } } } }",
]


@pytest.mark.parametrize("query", INTROSPECTION)
async def test_production_introspection_is_for_admins(
    production: Callable[[str], httpx.AsyncClient], query: str
) -> None:
    sent = {"accept": RESPONSE_TYPE}
    response = await production("MEMBER").post("/graphql", json={"query": query}, headers=sent)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    assert "data" not in response.json()
    response = await production("ADMIN").post("/graphql", json={"query": query}, headers=sent)
    assert response.status_code == 200, response.text
    assert "errors" not in response.json()


async def test_production_members_still_read_typename(
    production: Callable[[str], httpx.AsyncClient],
) -> None:
    response = await production("MEMBER").post(
        "/graphql", json={"query": "{ __typename organization { name } }"}
    )
    assert response.json()["data"] == {"__typename": "Query", "organization": {"name": "Test AB"}}


async def test_production_hides_suggestions(
    production: Callable[[str], httpx.AsyncClient], gql: GraphQLClient
) -> None:
    typo = "{ organizatio { name } }"
    development = (await gql.post(typo)).json()["errors"][0]["message"]
    assert "Did you mean 'organization'?" in development
    response = await production("ADMIN").post(
        "/graphql", json={"query": typo}, headers={"accept": RESPONSE_TYPE}
    )
    assert response.status_code == 400
    assert (
        response.json()["errors"][0]["message"]
        == "Cannot query field 'organizatio' on type 'Query'."
    )
    enum = "query ($s: [ObjectiveStatus!]) { objectives(first: 1, filter: {status: $s}) { totalCount } }"
    response = await production("ADMIN").post(
        "/graphql", json={"query": enum, "variables": {"s": ["ACTIV"]}}
    )
    assert "Did you mean" not in response.text
    assert "ACTIV" in response.json()["errors"][0]["message"]


async def test_production_graphiql_is_for_admins(
    production: Callable[[str], httpx.AsyncClient],
) -> None:
    page = {"accept": "text/html"}
    response = await production("MEMBER").get("/graphql", headers=page)
    assert response.status_code == 403
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    response = await production("ADMIN").get("/graphql", headers=page)
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()
