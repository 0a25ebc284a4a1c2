"""No string input reaches the database as an error: a NUL or an unpaired surrogate anywhere in
any mutation's input is INVALID_TEXT on that field, and nothing is written
(docs/domain-rules.md, "Input, updates and integrations").

The cases are generated from the schema: every mutation, with every String and ID field of its
input (nested inputs and lists too) holding a NUL at once, so a new mutation or field is
covered without a line here.
"""

from __future__ import annotations

import json
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
    GraphQLScalarType,
)

from schema.app_schema import schema
from tests.graphql import GraphQLClient
from tests.scim import Scim, error_of, user
from tests.signin import signin_http

__all__ = ["signin_http"]

SCHEMA = schema._schema
MUTATIONS = SCHEMA.mutation_type.fields if SCHEMA.mutation_type else {}
NUL = "a\x00b"
# A value of each other scalar that its coercion accepts (the rules may still refuse it: the
# text check comes first).
_SCALARS = {
    "Int": 1,
    "Float": 1.0,
    "Boolean": False,
    "Decimal": "1",
    "DateTime": "2026-01-01T00:00:00+00:00",
    "Date": "2026-01-01",
    "JSON": {},
}


def _unwrap(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _value(type_: GraphQLInputType, path: tuple[str, ...], texts: list[tuple[str, ...]]) -> Any:
    """An input of `type_` with every String and ID holding NUL; their paths go to `texts`."""
    inner = _unwrap(type_)
    if isinstance(inner, GraphQLList):
        return [_value(inner.of_type, (*path, "0"), texts)]
    if isinstance(inner, GraphQLInputObjectType):
        return {
            name: _value(field.type, (*path, name), texts) for name, field in inner.fields.items()
        }
    if isinstance(inner, GraphQLEnumType):
        return next(iter(inner.values))
    assert isinstance(inner, GraphQLScalarType)
    if inner.name in ("String", "ID"):
        texts.append(path)
        return NUL
    return _SCALARS[inner.name]


def _case(name: str) -> tuple[str, dict[str, Any], list[tuple[str, ...]]]:
    field = MUTATIONS[name]
    input_type = field.args["input"].type
    texts: list[tuple[str, ...]] = []
    value = _value(input_type, ("input",), texts)
    document = f"mutation ($input: {input_type}) {{ {name}(input: $input) {{ userErrors {{ field code }} }} }}"
    return document, value, texts


async def test_a_lookup_key_with_a_nul_is_a_coded_error_on_the_field(gql: GraphQLClient) -> None:
    # (on both executors: the client compares them)
    body = await gql("query ($k: String!) { keyResult(externalId: $k) { id } }", {"k": "a\x00"})
    assert body["data"] == {"keyResult": None}
    [error] = body["errors"]
    assert (error["extensions"]["code"], error["path"]) == ("BAD_USER_INPUT", ["keyResult"])
    assert "NUL" in error["message"]


@pytest.fixture
async def scim(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> Scim:
    return await Scim.of(signin_http, pool, org)


async def _written(pool: asyncpg.Pool[Any], organization_id: int) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM event WHERE organization_id = $1", organization_id
    )
    return count


def test_every_mutation_takes_text() -> None:
    # the generator reaches every mutation, and most of them carry text to check
    assert len(MUTATIONS) >= 30
    assert all(_case(name)[2] for name in MUTATIONS)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
async def test_a_nul_in_any_string_input_is_invalid_text_on_its_field(
    name: str, gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given every String and ID of the mutation's input holding a NUL character
    document, value, texts = _case(name)
    before = await _written(pool, org["id"])
    # when it is sent
    body = await gql(document, {"input": value})
    # then each of those fields is refused as INVALID_TEXT, and nothing is written
    assert "errors" not in body, body
    errors = body["data"][name]["userErrors"]
    assert {tuple(e["field"]) for e in errors} == set(texts)
    assert {e["code"] for e in errors} == {"INVALID_TEXT"}
    assert await _written(pool, org["id"]) == before


async def test_an_idempotency_key_with_a_nul_is_refused_before_it_is_claimed(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a check-in whose only bad text is its idempotency key
    document = """mutation ($input: CreateCheckInInput!) {
      createCheckIn(input: $input) { checkIn { id } userErrors { field code } } }"""
    body = await gql(
        document,
        {
            "input": {
                "keyResultExternalId": "none",
                "value": "1",
                "confidence": "ON_TRACK",
                "idempotencyKey": "k\x00",
            }
        },
    )
    # then the key is refused on its field and no key is stored
    assert body["data"]["createCheckIn"]["userErrors"] == [
        {"field": ["input", "idempotencyKey"], "code": "INVALID_TEXT"}
    ]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM idempotency_key WHERE organization_id = $1", org["id"]
        )
        == 0
    )


async def test_a_search_with_a_nul_is_a_coded_error_on_the_field(gql: GraphQLClient) -> None:
    body = await gql(
        "query ($s: String) { members(first: 5, filter: {search: $s}) { totalCount } }",
        {"s": "a\x00"},
    )
    assert [e["extensions"]["code"] for e in body["errors"]] == ["BAD_USER_INPUT"]
    assert "NUL" in body["errors"][0]["message"]


async def test_scim_refuses_a_nul_in_the_body_with_invalid_value(
    scim: Scim, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a SCIM user whose display name holds a NUL
    before = await _written(pool, org["id"])
    response = await scim("POST", "/Users", user("u@x.example", displayName="Ada\x00"))
    # then it is a 400 naming the attribute, never a 500, and nothing is written
    assert "displayName" in error_of(response, 400, "invalidValue")
    assert await _written(pool, org["id"]) == before


async def test_scim_refuses_a_nul_in_a_filter_with_invalid_filter(scim: Scim) -> None:
    response = await scim("GET", '/Users?filter=userName eq "a%00"')
    assert "NUL" in error_of(response, 400, "invalidFilter")


async def test_scim_refuses_an_unpaired_surrogate_as_a_client_error(
    signin_http: httpx.AsyncClient, scim: Scim
) -> None:
    # json.dumps writes it as the escape \\ud800, which no UTF-8 text can hold
    body = json.dumps(user("u@x.example", displayName="Ada\ud800"))
    assert "\\ud800" in body
    response = await signin_http.post(
        "/scim/v2/Users",
        content=body.encode(),
        headers={"authorization": f"Bearer {scim.secret}", "content-type": "application/scim+json"},
    )
    assert response.status_code == 400, response.text
