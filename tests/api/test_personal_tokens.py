"""Personal access tokens: a member's own scoped tokens, acting as them while they are active."""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeAlias

import asyncpg
import httpx
import pytest

from db.ids import decode_id_of, encode_id
from domain.api_keys import hash_secret
from tests.graphql import GraphQLClient
from tests.signin import member, signin_http, token_for

__all__ = ["signin_http"]

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"

CREATE = """mutation ($input: CreatePersonalAccessTokenInput!) {
  createPersonalAccessToken(input: $input) {
    personalAccessToken { id name prefix scopes owner { name } expiresAt revokedAt }
    secret userErrors { field code message }
  }
}"""
REVOKE = """mutation ($input: RevokePersonalAccessTokenInput!) {
  revokePersonalAccessToken(input: $input) {
    personalAccessToken { id revokedAt } userErrors { field code message }
  }
}"""
MINE = "{ personalAccessTokens(first: 10) { totalCount nodes { id name scopes owner { name } } } }"


async def _post(
    http: httpx.AsyncClient, org: Org, bearer: str, query: str, variables: Any = None
) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"authorization": f"Bearer {bearer}", "x-organization": org["slug"]},
    )


async def _data(
    http: httpx.AsyncClient, org: Org, bearer: str, query: str, variables: Any = None
) -> dict[str, Any]:
    response = await _post(http, org, bearer, query, variables)
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


def _person(org: Org, name: str) -> str:
    return token_for(f"{name.lower()}+{org['slug']}@test.example")


async def _token(
    http: httpx.AsyncClient, org: Org, bearer: str, *scopes: str, **input: Any
) -> dict[str, Any]:
    data = await _data(
        http,
        org,
        bearer,
        CREATE,
        {"input": {"name": "Sync script", "scopes": list(scopes)} | input},
    )
    payload: dict[str, Any] = data["createPersonalAccessToken"]
    assert payload["userErrors"] == [], payload
    return payload


async def _team_objective(
    gql: GraphQLClient, pool: Pool, org: Org, member_id: int
) -> tuple[str, str]:
    """A team objective of a team `member_id` belongs to, with a numeric key result."""
    today = dt.datetime.now(dt.UTC).date()
    run = gql.data
    cycle = await run(
        "mutation ($i: CreateCycleInput!) { createCycle(input: $i) { cycle { id } } }",
        {"i": {"name": "Q", "startsOn": str(today - dt.timedelta(days=5)),
               "endsOn": str(today + dt.timedelta(days=80))}},
    )  # fmt: skip
    team = await run(
        "mutation ($i: CreateTeamInput!) { createTeam(input: $i) { team { id } } }",
        {"i": {"name": "Sales"}},
    )
    team_id = team["createTeam"]["team"]["id"]
    await run(
        "mutation ($i: AddTeamMemberInput!) { addTeamMember(input: $i) { userErrors { code } } }",
        {"i": {"teamId": team_id, "userId": encode_id("User", member_id)}},
    )
    objective = await run(
        "mutation ($i: CreateObjectiveInput!) { createObjective(input: $i) { objective { id } } }",
        {"i": {"title": "Sell", "cycleId": cycle["createCycle"]["cycle"]["id"], "level": "TEAM",
               "ownerTeamId": team_id}},
    )  # fmt: skip
    objective_id = objective["createObjective"]["objective"]["id"]
    key_result = await run(
        "mutation ($i: CreateKeyResultInput!) { createKeyResult(input: $i) { keyResult { id } } }",
        {"i": {"objectiveId": objective_id, "title": "Deals", "kind": "NUMERIC",
               "startValue": "0", "targetValue": "10"}},
    )  # fmt: skip
    return objective_id, key_result["createKeyResult"]["keyResult"]["id"]


CHECK_IN = """mutation ($i: CreateCheckInInput!) {
  createCheckIn(input: $i) { checkIn { id author { name } } userErrors { code } } }"""
RENAME = """mutation ($i: UpdateObjectiveInput!) {
  updateObjective(input: $i) { objective { title } userErrors { code } } }"""


async def test_a_members_token_acts_as_them_within_its_scopes(
    signin_http: httpx.AsyncClient, gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    mia_id = await member(pool, org, "Mia", "MEMBER")
    objective, key_result = await _team_objective(gql, pool, org, mia_id)
    created = await _token(signin_http, org, _person(org, "Mia"), "CHECKINS_WRITE")
    token = created["personalAccessToken"]
    assert (token["name"], token["scopes"], token["owner"]) == (
        "Sync script",
        ["CHECKINS_WRITE"],
        {"name": "Mia"},
    )
    secret = created["secret"]
    assert secret.startswith("okrql_")
    assert token["prefix"] == secret[: len(token["prefix"])]
    stored = await pool.fetchval(
        "SELECT secret_hash FROM api_key WHERE organization_id = $1 AND user_id = $2",
        org["id"],
        mia_id,
    )
    assert stored == hash_secret(secret)

    # the check-in is credited to Mia, through the token
    checked = await _data(
        signin_http, org, secret, CHECK_IN,
        {"i": {"keyResultId": key_result, "value": "3", "confidence": "ON_TRACK"}},
    )  # fmt: skip
    assert checked["createCheckIn"]["checkIn"]["author"] == {"name": "Mia"}
    event = await pool.fetchrow(
        "SELECT actor_user_id, actor_api_key_id FROM event"
        " WHERE organization_id = $1 AND type = 'check_in.created'",
        org["id"],
    )
    assert event is not None
    assert tuple(event) == (mia_id, decode_id_of(token["id"], "PersonalAccessToken"))
    # a check-in token edits nothing else, though Mia herself may
    renamed = await _post(
        signin_http, org, secret, RENAME, {"i": {"id": objective, "title": "Sell more"}}
    )
    assert renamed.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    as_mia = await _data(
        signin_http,
        org,
        _person(org, "Mia"),
        RENAME,
        {"i": {"id": objective, "title": "Sell more"}},
    )
    assert as_mia["updateObjective"]["userErrors"] == []
    # a read token reads only
    reader = (await _token(signin_http, org, _person(org, "Mia"), "READ"))["secret"]
    refused = await _post(
        signin_http, org, reader, CHECK_IN,
        {"i": {"keyResultId": key_result, "value": "4", "confidence": "ON_TRACK"}},
    )  # fmt: skip
    assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await _data(signin_http, org, reader, "{ viewer { name } }"))["viewer"]["name"] == "Mia"


async def test_a_token_never_does_more_than_its_person(
    signin_http: httpx.AsyncClient, gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    await member(pool, org, "Vera", "VIEWER")
    viewer_token = (await _token(signin_http, org, _person(org, "Vera"), "WRITE"))["secret"]
    created = await _post(
        signin_http, org, viewer_token,
        'mutation { createTeam(input: {name: "X"}) { team { id } } }',
    )  # fmt: skip
    assert created.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # an admin's token never administers, nor makes tokens
    admin_token = (
        await _token(signin_http, org, token_for(f"admin+{org['slug']}@test.example"), "WRITE")
    )["secret"]
    for document in (
        'mutation { createCycle(input: {name: "Y", startsOn: "2026-01-01",'
        ' endsOn: "2026-03-31"}) { cycle { id } } }',
        'mutation { createPersonalAccessToken(input: {name: "n", scopes: [READ]}) { secret } }',
        'mutation { inviteMember(input: {email: "z@example.com", name: "Z"}) { member { id } } }',
    ):
        response = await _post(signin_http, org, admin_token, document)
        assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN", document
    keys = await _post(signin_http, org, admin_token, "{ apiKeys(first: 5) { totalCount } }")
    assert "errors" in keys.json() or keys.json()["data"]["apiKeys"]["totalCount"] == 0


async def test_a_deactivated_members_tokens_stop_at_once_and_return_with_them(
    signin_http: httpx.AsyncClient, gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    max_id = await member(pool, org, "Max", "MEMBER")
    secret = (await _token(signin_http, org, _person(org, "Max"), "READ"))["secret"]
    assert (await _post(signin_http, org, secret, "{ viewer { id } }")).status_code == 200
    person = encode_id("User", max_id)
    await gql.data(
        "mutation ($id: ID!) { deactivateMember(input: {id: $id}) { userErrors { code } } }",
        {"id": person},
    )
    refused = await _post(signin_http, org, secret, "{ viewer { id } }")
    assert refused.status_code == 401
    await gql.data(
        "mutation ($id: ID!) { reactivateMember(input: {id: $id}) { userErrors { code } } }",
        {"id": person},
    )
    assert (await _post(signin_http, org, secret, "{ viewer { id } }")).status_code == 200


async def test_members_list_and_revoke_their_own_and_admins_anyones(
    signin_http: httpx.AsyncClient, gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    mia_id = await member(pool, org, "Mia", "MEMBER")
    await member(pool, org, "Max", "MEMBER")
    mine = await _token(signin_http, org, _person(org, "Mia"), "READ", name="Mia's")
    theirs = await _token(signin_http, org, _person(org, "Max"), "READ", name="Max's")
    listed = await _data(signin_http, org, _person(org, "Mia"), MINE)
    assert [t["name"] for t in listed["personalAccessTokens"]["nodes"]] == ["Mia's"]
    # an admin sees everyone's, or one member's; a member sees none of the organisation's
    everyone = (
        "query ($o: ID) { allPersonalAccessTokens(first: 10, ownerId: $o) { nodes { name } } }"
    )
    all_of_them = await gql.data(everyone)
    assert sorted(t["name"] for t in all_of_them["allPersonalAccessTokens"]["nodes"]) == [
        "Max's",
        "Mia's",
    ]
    just_mia = await gql.data(everyone, {"o": encode_id("User", mia_id)})
    assert [t["name"] for t in just_mia["allPersonalAccessTokens"]["nodes"]] == ["Mia's"]
    as_member = await _data(signin_http, org, _person(org, "Mia"), everyone)
    assert as_member["allPersonalAccessTokens"]["nodes"] == []
    # organisation keys are another list
    assert (await gql.data("{ apiKeys(first: 5) { totalCount } }"))["apiKeys"]["totalCount"] == 0

    other = theirs["personalAccessToken"]["id"]
    not_hers = await _data(signin_http, org, _person(org, "Mia"), REVOKE, {"input": {"id": other}})
    assert [e["code"] for e in not_hers["revokePersonalAccessToken"]["userErrors"]] == ["NOT_FOUND"]
    own = await _data(
        signin_http,
        org,
        mine["secret"],
        REVOKE,
        {"input": {"id": mine["personalAccessToken"]["id"]}},
    )
    assert own["revokePersonalAccessToken"]["personalAccessToken"]["revokedAt"]
    assert (await _post(signin_http, org, mine["secret"], "{ viewer { id } }")).status_code == 401
    by_admin = await gql.data(REVOKE, {"input": {"id": other}})
    assert by_admin["revokePersonalAccessToken"]["userErrors"] == []
    assert (await _post(signin_http, org, theirs["secret"], "{ viewer { id } }")).status_code == 401


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        ({"scopes": []}, "REQUIRED", "scopes"),
        ({"name": "  "}, "REQUIRED", "name"),
        ({"name": "x" * 201}, "TOO_LONG", "name"),
        ({"expiresAt": "2020-01-01T00:00:00Z"}, "OUT_OF_RANGE", "expiresAt"),
    ],
)
async def test_bad_tokens_are_refused_and_nothing_is_written(
    gql: GraphQLClient, pool: Pool, org: Org, input: dict[str, Any], code: str, field: str
) -> None:
    data = await gql.data(CREATE, {"input": {"name": "ok", "scopes": ["READ"]} | input})
    payload = data["createPersonalAccessToken"]
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["input", field])]
    assert payload["secret"] is None
    assert (
        await pool.fetchval("SELECT count(*) FROM api_key WHERE organization_id = $1", org["id"])
        == 0
    )


async def test_an_organisation_key_makes_no_personal_tokens(
    signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    from tests.signin import api_key

    key = await api_key(pool, org, "read", "write")
    response = await _post(
        signin_http, org, key.secret,
        'mutation { createPersonalAccessToken(input: {name: "n", scopes: [READ]}) { secret } }',
    )  # fmt: skip
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    mine = await _data(signin_http, org, key.secret, MINE)
    assert mine["personalAccessTokens"]["totalCount"] == 0


async def test_every_token_field_reads_alike_both_ways(gql: GraphQLClient, org: Org) -> None:
    # gql (the organisation's admin, in development) compares the planner with the standard
    # executor for every query.
    created = await gql.data(CREATE, {"input": {"name": "Both ways", "scopes": ["READ"]}})
    assert created["createPersonalAccessToken"]["userErrors"] == []
    fields = "id name prefix scopes owner { name } createdAt expiresAt revokedAt lastUsedAt"
    data = await gql.data(
        f"""query ($o: ID) {{ personalAccessTokens(first: 5) {{ totalCount nodes {{ {fields} }} }}
               allPersonalAccessTokens(first: 5, ownerId: $o) {{ nodes {{ {fields} }} }} }}""",
        {"o": encode_id("User", org["admin_id"])},
    )
    assert data["personalAccessTokens"]["nodes"] == data["allPersonalAccessTokens"]["nodes"]
    assert data["personalAccessTokens"]["totalCount"] == 1
