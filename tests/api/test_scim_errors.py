"""Each bad SCIM input: a SCIM error with its status, scimType and a clear detail; nothing
written. And isolation: another organisation's SCIM key sees and changes nothing of this
one's (its ids answer exactly like ids that exist nowhere)."""

from __future__ import annotations

import uuid
from typing import Any, TypeAlias

import asyncpg
import httpx
import pytest

from db.organizations import create_organization
from tests.scim import GROUP, PATCH, Scim, error_of, user
from tests.signin import signin_http

__all__ = ["signin_http"]

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"


async def _written(pool: Pool, org: Org) -> tuple[Any, ...]:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM membership WHERE organization_id = $1),
                  (SELECT sum(version) FROM membership WHERE organization_id = $1),
                  (SELECT count(*) FROM team WHERE organization_id = $1),
                  (SELECT count(*) FROM team_member WHERE organization_id = $1),
                  (SELECT count(*) FROM event WHERE organization_id = $1)""",
        org["id"],
    )
    return tuple(row)


@pytest.fixture
async def scim(signin_http: httpx.AsyncClient, pool: Pool, org: Org) -> Scim:
    return await Scim.of(signin_http, pool, org)


@pytest.fixture
async def bo(scim: Scim) -> dict[str, Any]:
    response = await scim("POST", "/Users", user(f"bo.{uuid.uuid4().hex[:8]}@x.example"))
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ('userName eq "unterminated', "string"),
        ("userName eq", "ends"),
        ('userName like "x"', "Unknown operator"),
        ("userName eq bare", "not a value"),
        ('nickName eq "x"', "not an attribute okrql filters on"),
        ('(userName eq "x"', "')'"),
        ("active gt true", "true or false"),
        ("userName eq 5", "quote the value"),
        ('emails[type eq "work"', "']'"),
    ],
)
async def test_a_malformed_filter_is_invalid_filter(
    scim: Scim, expression: str, words: str
) -> None:
    response = await scim.http.get(
        "/scim/v2/Users",
        params={"filter": expression},
        headers={"authorization": f"Bearer {scim.secret}"},
    )
    assert words in error_of(response, 400, "invalidFilter")


BAD_USERS = [
    ({"userName": "a@x.example", "nickname2": "x"}, 400, "invalidSyntax", "no attribute"),
    ({"userName": 5}, 400, "invalidValue", "must be a string"),
    ({"userName": "   "}, 400, "invalidValue", "userName must not be blank"),
    ({"userName": "no-email"}, 400, "invalidValue", "needs an email"),
    ({"userName": "a@x.example", "active": "maybe"}, 400, "invalidValue", "true or false"),
    (
        {"userName": "a@x.example", "roles": [{"value": "OWNER"}]},
        400,
        "invalidValue",
        "Unknown role",
    ),
    (
        {"userName": "a@x.example", "emails": [{"value": "nope"}]},
        400,
        "invalidValue",
        "not an email",
    ),
    ({"userName": "a@x.example", "name": "Ada"}, 400, "invalidValue", "must be an object"),
    ({"userName": "a@x.example", "schemas": ["urn:x"]}, 400, "invalidSyntax", "schemas"),
]


@pytest.mark.parametrize(("body", "status", "scim_type", "words"), BAD_USERS)
async def test_a_bad_user_writes_nothing(
    scim: Scim, pool: Pool, org: Org, body: dict[str, Any], status: int, scim_type: str, words: str
) -> None:
    before = await _written(pool, org)
    assert words in error_of(await scim("POST", "/Users", body), status, scim_type)
    assert await _written(pool, org) == before


async def test_taken_names_are_uniqueness_conflicts(
    scim: Scim, pool: Pool, org: Org, bo: dict[str, Any]
) -> None:
    before = await _written(pool, org)
    same = user(bo["userName"].upper(), f"other.{uuid.uuid4().hex[:6]}@x.example")
    assert "userName" in error_of(await scim("POST", "/Users", same), 409, "uniqueness")
    email = user(f"login-{uuid.uuid4().hex[:6]}", bo["userName"])
    assert "email" in error_of(await scim("POST", "/Users", email), 409, "uniqueness")
    other = (await scim("POST", "/Users", user(f"cy.{uuid.uuid4().hex[:6]}@x.example"))).json()
    before = await _written(pool, org)
    taken = await scim.patch(
        f"/Users/{other['id']}", {"op": "replace", "path": "userName", "value": bo["userName"]}
    )
    assert "userName" in error_of(taken, 409, "uniqueness")
    group = {"schemas": [GROUP], "displayName": "Sales"}
    assert (await scim("POST", "/Groups", group)).status_code == 201
    before = await _written(pool, org)
    assert "Sales" in error_of(await scim("POST", "/Groups", group), 409, "uniqueness")
    assert await _written(pool, org) == before


BAD_PATCHES = [
    ([{"op": "move", "path": "displayName", "value": "x"}], "invalidSyntax", "`op`"),
    ([{"op": "replace", "path": "nope", "value": "x"}], "invalidSyntax", "no attribute"),
    ([{"op": "replace", "path": "name.middle", "value": "x"}], "invalidPath", "sub-attribute"),
    (
        [{"op": "replace", "path": "active[value eq 1]", "value": "x"}],
        "invalidPath",
        "multi-valued",
    ),
    ([{"op": "remove"}], "noTarget", "needs a `path`"),
    (
        [{"op": "replace", "path": 'emails[type co "zz"].value', "value": "a@b.example"}],
        "noTarget",
        "matches the filter",
    ),
    ([{"op": "replace", "path": "active", "value": 3}], "invalidValue", "true or false"),
    ([{"op": "replace", "value": "flat"}], "invalidSyntax", "object of attributes"),
    ([{"op": "replace", "path": "displayName"}], "invalidSyntax", "needs a `value`"),
    ([{"op": "replace", "path": "id", "value": "x"}], "mutability", "read-only"),
    # the first operation is valid: nothing of it stays when the second fails
    (
        [
            {"op": "replace", "path": "displayName", "value": "Kept?"},
            {"op": "add", "path": "roles", "value": [{"value": "OWNER"}]},
        ],
        "invalidValue",
        "Unknown role",
    ),
]


@pytest.mark.parametrize(("operations", "scim_type", "words"), BAD_PATCHES)
async def test_a_bad_patch_writes_nothing(
    scim: Scim,
    pool: Pool,
    org: Org,
    bo: dict[str, Any],
    operations: list[dict[str, Any]],
    scim_type: str,
    words: str,
) -> None:
    before = await _written(pool, org)
    response = await scim.patch(f"/Users/{bo['id']}", *operations)
    assert words in error_of(response, 400, scim_type)
    assert await _written(pool, org) == before


async def test_a_patch_without_its_schema_is_invalid_syntax(scim: Scim, bo: dict[str, Any]) -> None:
    body = {"Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}
    assert PATCH in error_of(await scim("PATCH", f"/Users/{bo['id']}", body), 400, "invalidSyntax")
    not_json = await scim.http.patch(
        f"/scim/v2/Users/{bo['id']}",
        content=b"{",
        headers={"authorization": f"Bearer {scim.secret}"},
    )
    assert "not valid JSON" in error_of(not_json, 400, "invalidSyntax")


async def test_the_last_admin_stays(scim: Scim, pool: Pool, org: Org) -> None:
    admin = await scim.http.get(
        "/scim/v2/Users",
        params={"filter": f'userName eq "admin+{org["slug"]}@test.example"'},
        headers={"authorization": f"Bearer {scim.secret}"},
    )
    (resource,) = admin.json()["Resources"]
    before = await _written(pool, org)
    deleted = await scim("DELETE", f"/Users/{resource['id']}")
    assert "last active admin" in error_of(deleted, 409)
    demoted = await scim.patch(
        f"/Users/{resource['id']}",
        {"op": "replace", "path": "roles", "value": [{"value": "MEMBER"}]},
    )
    assert "last active admin" in error_of(demoted, 409)
    inactive = await scim.patch(
        f"/Users/{resource['id']}", {"op": "replace", "value": {"active": False}}
    )
    assert "last active admin" in error_of(inactive, 409)
    assert await _written(pool, org) == before


async def test_a_team_that_owns_objectives_is_not_deleted(
    scim: Scim, pool: Pool, org: Org, gql: Any
) -> None:
    group = (await scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Owners"})).json()
    cycle = await gql.data(
        'mutation { createCycle(input: {name: "Q1", startsOn: "2026-01-01", endsOn: "2026-03-31"}) { cycle { id } } }'
    )
    created = await gql.data(
        "mutation($input: CreateObjectiveInput!) { createObjective(input: $input) { objective { id } userErrors { code } } }",
        {
            "input": {
                "title": "Grow",
                "cycleId": cycle["createCycle"]["cycle"]["id"],
                "level": "TEAM",
                "ownerTeamId": group["id"],
            }
        },
    )
    assert created["createObjective"]["userErrors"] == []
    before = await _written(pool, org)
    assert "1 objective" in error_of(await scim("DELETE", f"/Groups/{group['id']}"), 409)
    assert await _written(pool, org) == before


async def test_another_organisation_sees_and_changes_nothing(
    signin_http: httpx.AsyncClient, pool: Pool, org: Org, scim: Scim, bo: dict[str, Any]
) -> None:
    # given another organisation with its own SCIM key
    async with pool.acquire() as conn, conn.transaction():
        other_id = await create_organization(conn, "Other AB", f"o-{uuid.uuid4().hex[:10]}", "UTC")
    other = await Scim.of(signin_http, pool, {"id": other_id})
    group = (await scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Ours"})).json()
    before = await _written(pool, org)
    # ids of this organisation answer exactly like ids that exist nowhere
    nowhere_user, nowhere_group = "VXNlcjo5OTk5OTk5OQ", "VGVhbTo5OTk5OTk5OQ"
    for path, nowhere in ((f"/Users/{bo['id']}", f"/Users/{nowhere_user}"), (f"/Groups/{group['id']}", f"/Groups/{nowhere_group}")):  # fmt: skip
        for method, body in (
            ("GET", None),
            ("PUT", user("x@y.example") if "Users" in path else {"displayName": "x"}),
            (
                "PATCH",
                {
                    "schemas": [PATCH],
                    "Operations": [{"op": "replace", "path": "displayName", "value": "x"}],
                },
            ),
            ("DELETE", None),
        ):
            theirs, missing = await other(method, path, body), await other(method, nowhere, body)
            assert (theirs.status_code, theirs.json()) == (missing.status_code, missing.json())
            assert theirs.status_code == 404
    # lists and filters never return them
    for path in ("/Users", f'/Users?filter=userName eq "{bo["userName"]}"', "/Groups"):
        assert (await other("GET", path)).json()["totalResults"] == 0
    # nor can they be made members of the other organisation's groups
    theirs = (await other("POST", "/Groups", {"schemas": [GROUP], "displayName": "Theirs"})).json()
    joined = await other.patch(
        f"/Groups/{theirs['id']}", {"op": "add", "path": "members", "value": [{"value": bo["id"]}]}
    )
    assert "no user" in error_of(joined, 400, "invalidValue")
    assert await _written(pool, org) == before
