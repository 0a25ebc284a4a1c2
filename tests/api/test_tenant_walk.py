"""Tenant isolation, walked from the schema: every query, connection, node type and mutation,
sent by an admin of one organisation with the ids of another (the demo organisation).

The walk is generated from the schema, so a new field is covered as soon as it exists. The
answer must be exactly what an id that does not exist gives (nothing, or NOT_FOUND), never a
row of the other organisation, and nothing of the other organisation may change.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
    is_non_null_type,
)

from api.app import create_app
from api.settings import Settings
from schema.app_schema import schema
from schema.ids import encode_id
from tests.signin import api_key, member, signin_http, token_for

__all__ = ["signin_http"]  # a fixture this module uses

Send = Any  # async (query, variables) -> httpx.Response

SCHEMA = schema._schema
TENANT_TABLES = (
    "membership", "team", "team_member", "cycle", "objective", "key_result", "check_in",
    "alignment", "event",
)  # fmt: skip

# Which entity an id argument names, by its name (the API's naming convention).
ID_TYPES = {
    "keyResultId": "KeyResult",
    "parentKeyResultId": "KeyResult",
    "objectiveId": "Objective",
    "childObjectiveId": "Objective",
    "parentObjectiveId": "Objective",
    "cycleId": "Cycle",
    "parentCycleId": "Cycle",
    "teamId": "Team",
    "parentTeamId": "Team",
    "ownerTeamId": "Team",
    "userId": "User",
    "ownerId": "User",
    "ownerUserId": "User",
    "subjectId": "Objective",
}
SOURCES = {
    "Cycle": "cycle",
    "Team": "team",
    "Objective": "objective",
    "KeyResult": "key_result",
    "CheckIn": "check_in",
}


async def _theirs(pool: asyncpg.Pool[Any], organization_id: int) -> dict[str, str]:
    ids = {
        type_name: encode_id(
            type_name,
            await pool.fetchval(
                f"SELECT min(id) FROM {table} WHERE organization_id = $1", organization_id
            ),
        )
        for type_name, table in SOURCES.items()
    }
    user = await pool.fetchval(
        "SELECT min(user_id) FROM membership WHERE organization_id = $1", organization_id
    )
    ids["User"] = encode_id("User", user)
    ids["Organization"] = encode_id("Organization", organization_id)
    return ids


async def _fingerprint(pool: asyncpg.Pool[Any], organization_id: int) -> str:
    digest = hashlib.sha256()
    for table in ("organization", *TENANT_TABLES):
        column = "id" if table == "organization" else "organization_id"
        rows = await pool.fetch(
            f"SELECT t::text FROM {table} t WHERE {column} = $1 ORDER BY t::text", organization_id
        )
        digest.update(table.encode())
        for row in rows:
            digest.update(row[0].encode())
    return digest.hexdigest()


def _value(type_: GraphQLInputType, name: str, theirs: dict[str, str], owner: str) -> Any:
    """A plausible value for an input, with the other organisation's ids wherever ids go."""
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, name, theirs, owner)
    if isinstance(type_, GraphQLList):
        return [_value(type_.of_type, name, theirs, owner)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            field_name: _value(field.type, field_name, theirs, owner)
            for field_name, field in type_.fields.items()
            if is_non_null_type(field.type)
            or field_name.endswith(("Id", "Ids"))
            or field_name == "id"
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return theirs[ID_TYPES.get(name.removesuffix("s"), owner)]
    return {
        "String": "Walk",
        "Int": 1,
        "Float": 0.5,
        "Boolean": False,
        "Decimal": "1",
        "DateTime": dt.datetime.now(dt.UTC).isoformat(),
        "Date": "2026-10-01",
    }.get(type_.name, "x")


def _owner(mutation: str) -> str:
    """The entity a mutation's own `id` names: updateObjective -> Objective."""
    for verb in ("update", "delete", "close", "reopen", "set", "revoke", "redeliver"):
        if mutation.startswith(verb):
            rest = mutation[len(verb) :]
            for type_name in sorted(SOURCES, key=len, reverse=True):
                if rest.startswith(type_name):
                    return type_name
    return "Objective"


def _ids_in(data: Any) -> set[str]:
    """Every `id` value anywhere in a response's data."""
    if isinstance(data, dict):
        found = {data["id"]} if isinstance(data.get("id"), str) else set()
        return found.union(*(_ids_in(v) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_ids_in(v) for v in data))
    return set()


def _selection(type_: GraphQLObjectType) -> str:
    """Every scalar field of a payload's entities by id, and the user errors."""
    parts = []
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        if isinstance(named, GraphQLObjectType):
            inner = (
                "code field"
                if named.name == "UserError"
                else ("id" if "id" in named.fields else "__typename")
            )
            parts.append(f"{name} {{ {inner} }}")
        else:
            parts.append(name)
    return " ".join(parts)


@pytest.fixture
async def other(pool: asyncpg.Pool[Any], demo_organization: int) -> dict[str, Any]:
    return {"id": demo_organization, "ids": await _theirs(pool, demo_organization)}


@pytest.fixture(scope="module")
async def rls_only_http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose planner leaves out its own tenant predicate: row-level security alone."""
    settings = Settings(environment="development", application_tenant_filter=False)
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
            yield c


def _sender(http: httpx.AsyncClient, org: dict[str, Any], bearer: str | None) -> Send:
    headers = {"accept": "application/graphql-response+json", "x-organization": org["slug"]}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"

    async def send(query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    return send


@pytest.fixture(params=["development admin", "signed-in admin", "api key", "rls alone"])
async def send(
    request: pytest.FixtureRequest,
    http: httpx.AsyncClient,
    signin_http: httpx.AsyncClient,
    rls_only_http: httpx.AsyncClient,
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> Send:
    """The same walk as each kind of caller of the first organisation."""
    if request.param == "signed-in admin":
        await member(pool, org, "Walker", "ADMIN")
        return _sender(signin_http, org, token_for(f"walker+{org['slug']}@test.example"))
    if request.param == "api key":
        key = await api_key(pool, org, "read", "write", "checkins:write")
        return _sender(http, org, key.secret)
    if request.param == "rls alone":
        return _sender(rls_only_http, org, None)
    return _sender(http, org, None)


async def test_every_node_type_is_invisible_across_organisations(
    send: Send, other: dict[str, Any]
) -> None:
    ids = list(other["ids"].values())
    response = await send(
        "query ($ids: [ID!]!, $one: ID!) { nodes(ids: $ids) { id } node(id: $one) { id } }",
        {"ids": ids, "one": ids[0]},
    )
    assert response.json()["data"] == {"nodes": [None] * len(ids), "node": None}


@pytest.mark.parametrize(
    "field",
    sorted(n for n, f in SCHEMA.query_type.fields.items() if n not in ("node", "nodes")),  # type: ignore[union-attr]
)
async def test_every_query_field_with_the_other_organisations_ids(
    send: Send, other: dict[str, Any], field: str
) -> None:
    definition = SCHEMA.query_type.fields[field]  # type: ignore[union-attr]
    arguments, variables = [], {}
    declarations = []
    for name, argument in definition.args.items():
        if name in ("first",):
            arguments.append("first: 50")
        elif name == "after":
            continue
        elif is_non_null_type(argument.type) or name == "filter":
            variables[name] = _value(argument.type, name, other["ids"], "Objective")
            declarations.append(f"${name}: {argument.type}")
            arguments.append(f"{name}: ${name}")
    target = get_named_type(definition.type)
    assert isinstance(target, GraphQLObjectType)
    inner = (
        "totalCount nodes { id }"
        if "totalCount" in target.fields
        else ("id" if "id" in target.fields else "__typename")
    )
    header = f"query ({', '.join(declarations)})" if declarations else "query"
    args = f"({', '.join(arguments)})" if arguments else ""
    response = await send(f"{header} {{ {field}{args} {{ {inner} }} }}", variables)
    assert response.status_code < 500, response.text
    body = response.json()
    # nothing of theirs comes back: no id of theirs, no row counted
    assert not _ids_in(body.get("data")) & set(other["ids"].values()), body
    result = (body.get("data") or {}).get(field)
    if isinstance(result, dict) and "totalCount" in result and field != "organization":
        filtered = "filter" in variables
        if filtered:
            assert result["totalCount"] == 0, body


@pytest.mark.parametrize("mutation", sorted(SCHEMA.mutation_type.fields))  # type: ignore[union-attr]
async def test_every_mutation_with_the_other_organisations_ids_writes_nothing(
    send: Send, pool: asyncpg.Pool[Any], other: dict[str, Any], mutation: str
) -> None:
    definition = SCHEMA.mutation_type.fields[mutation]  # type: ignore[union-attr]
    argument = definition.args["input"]
    variables = {"input": _value(argument.type, "input", other["ids"], _owner(mutation))}
    payload = get_named_type(definition.type)
    assert isinstance(payload, GraphQLObjectType)
    before = await _fingerprint(pool, other["id"])
    response = await send(
        f"mutation ($input: {argument.type}) {{ {mutation}(input: $input) {{ {_selection(payload)} }} }}",
        variables,
    )
    assert response.status_code < 500, response.text
    body = response.json()
    assert await _fingerprint(pool, other["id"]) == before, f"{mutation} changed their rows"
    data = (body.get("data") or {}).get(mutation) or {}
    for name, value in data.items():
        if name != "userErrors" and isinstance(value, dict) and "id" in value:
            assert value["id"] not in other["ids"].values(), (mutation, body)
    # refused: a user error or a coded GraphQL error, like an id that does not exist
    assert data.get("userErrors") or body.get("errors"), (mutation, body)


async def test_the_walk_would_catch_a_leak(
    database_url: str, org: dict[str, Any], other: dict[str, Any]
) -> None:
    # A control: with neither the planner's predicate nor row-level security (a superuser
    # role bypasses it), the other organisation's rows do come back, so the walk above would
    # have caught a leak in either layer alone.
    settings = Settings(
        environment="development", application_tenant_filter=False, database_role=""
    )
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as http:
            response = await _sender(http, org, None)(
                "query ($id: ID!) { node(id: $id) { id } }", {"id": other["ids"]["Objective"]}
            )
    assert response.json()["data"] == {"node": {"id": other["ids"]["Objective"]}}
