"""createTeam, updateTeam, addTeamMember, removeTeamMember: every rule, and nothing half-written."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, TypeAlias

import asyncpg
import pytest

from db.ids import encode_id
from db.organizations import add_member, create_organization
from tests.graphql import GraphQLClient

FIELDS = "id name description version createdAt updatedAt parentTeam { id name }"

CREATE = f"""mutation ($input: CreateTeamInput!) {{
  createTeam(input: $input) {{ team {{ {FIELDS} }} userErrors {{ field message code }} }}
}}"""

UPDATE = f"""mutation ($input: UpdateTeamInput!) {{
  updateTeam(input: $input) {{ team {{ {FIELDS} }} userErrors {{ field message code }} }}
}}"""

ADD = """mutation ($input: AddTeamMemberInput!) {
  addTeamMember(input: $input) {
    team { id members(first: 10) { totalCount nodes { id name } } }
    user { id name teams(first: 10) { nodes { name } } }
    userErrors { field message code }
  }
}"""

REMOVE = """mutation ($input: RemoveTeamMemberInput!) {
  removeTeamMember(input: $input) {
    team { id members(first: 10) { totalCount nodes { id name } } }
    user { id name }
    userErrors { field message code }
  }
}"""

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"


async def _run(gql: GraphQLClient, query: str, **input: Any) -> dict[str, Any]:
    data = await gql.data(query, {"input": input})
    (payload,) = data.values()
    assert isinstance(payload, dict)
    return payload


async def _created(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload = await _run(gql, CREATE, **input)
    assert payload["userErrors"] == []
    team: dict[str, Any] = payload["team"]
    return team


@pytest.fixture
async def teams(gql: GraphQLClient) -> dict[str, dict[str, Any]]:
    """Marketing with its Content team."""
    marketing = await _created(gql, name="Marketing", description="Demand and brand")
    content = await _created(gql, name="Content", parentTeamId=marketing["id"])
    return {"marketing": marketing, "content": content}


@pytest.fixture
async def member(pool: Pool, org: Org) -> str:
    """A second member of the organisation; their global id."""
    async with pool.acquire() as conn, conn.transaction():
        user_id = await add_member(
            conn, org["id"], "Björn Ångström", f"bjorn+{org['slug']}@test.example", "MEMBER"
        )
    return encode_id("User", user_id)


@pytest.fixture
async def outsider(pool: Pool) -> str:
    """A person who is a member of another organisation only; their global id."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "Andere BV", slug)
        user_id = await add_member(
            conn, organization_id, "Daan de Vries", f"daan+{slug}@test.example", "ADMIN"
        )
    return encode_id("User", user_id)


async def _counts(pool: Pool, org: Org) -> tuple[int, int, int, str]:
    return (
        await pool.fetchval("SELECT count(*) FROM team WHERE organization_id = $1", org["id"]),
        await pool.fetchval(
            "SELECT count(*) FROM team_member WHERE organization_id = $1", org["id"]
        ),
        await pool.fetchval("SELECT count(*) FROM event WHERE organization_id = $1", org["id"]),
        # Any change to any team row shows up in this digest.
        await pool.fetchval(
            "SELECT coalesce(string_agg(t::text, ';' ORDER BY id), '') FROM team t"
            " WHERE organization_id = $1",
            org["id"],
        ),
    )


async def _refused(
    gql: GraphQLClient, pool: Pool, org: Org, query: str, input: dict[str, Any]
) -> list[tuple[list[str], str]]:
    before = await _counts(pool, org)
    response = await gql.post(query, {"input": input})
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["team"] is None
    assert payload.get("user") is None
    assert payload["userErrors"]
    assert await _counts(pool, org) == before, "a refused change leaves no trace"
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def _last_event(pool: Pool, org: Org) -> dict[str, Any]:
    event = await pool.fetchrow(
        "SELECT type, subject_type, subject_id, actor_user_id, before, after FROM event"
        " WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert event is not None
    return dict(event)


# --- createTeam -----------------------------------------------------------------------------


async def test_a_new_team_is_returned_and_logged(gql: GraphQLClient, pool: Pool, org: Org) -> None:
    team = await _created(gql, name="  Kundframgång 🤝 ", description="  Nöjda kunder  ")
    assert team["name"] == "Kundframgång 🤝"
    assert team["description"] == "Nöjda kunder"
    assert team["version"] == 1
    assert team["parentTeam"] is None
    event = await _last_event(pool, org)
    assert (event["type"], event["subject_type"], event["actor_user_id"]) == (
        "team.created",
        "Team",
        org["admin_id"],
    )
    assert event["after"] == {
        "name": "Kundframgång 🤝",
        "description": "Nöjda kunder",
        "parentTeamId": None,
        "externalId": None,
        "version": 1,
    }


@pytest.mark.parametrize("name", ["Klantsucces één", "Försäljning åäö", "📈 Growth", "中文团队"])
async def test_names_keep_full_unicode(gql: GraphQLClient, name: str) -> None:
    team = await _created(gql, name=name)
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Team { name } } }", {"id": team["id"]}
    )
    assert read["node"]["name"] == name


async def test_a_sub_team_nests_in_its_parent(
    gql: GraphQLClient, teams: dict[str, dict[str, Any]]
) -> None:
    marketing, content = teams["marketing"], teams["content"]
    assert content["parentTeam"] == {"id": marketing["id"], "name": "Marketing"}
    assert content["description"] is None
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Team { childTeams(first: 5) { nodes { id } } } } }",
        {"id": marketing["id"]},
    )
    assert read["node"]["childTeams"]["nodes"] == [{"id": content["id"]}]


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": " "}, [(["input", "name"], "REQUIRED")]),
        ({"name": "x" * 201}, [(["input", "name"], "TOO_LONG")]),
        ({"description": "x" * 10_001}, [(["input", "description"], "TOO_LONG")]),
        ({"name": "Marketing"}, [(["input", "name"], "DUPLICATE_NAME")]),
        ({"name": "Marketing "}, [(["input", "name"], "DUPLICATE_NAME")]),
        (
            {"parentTeamId": encode_id("Team", 987654321)},
            [(["input", "parentTeamId"], "NOT_FOUND")],
        ),
        ({"parentTeamId": encode_id("Cycle", 1)}, [(["input", "parentTeamId"], "INVALID_ID")]),
        ({"parentTeamId": "garbage"}, [(["input", "parentTeamId"], "INVALID_ID")]),
        (
            {"name": "Content", "parentTeamId": encode_id("Team", 987654321)},
            [(["input", "parentTeamId"], "NOT_FOUND"), (["input", "name"], "DUPLICATE_NAME")],
        ),
    ],
)
async def test_bad_input_to_create_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    teams: dict[str, dict[str, Any]],
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    input = {"name": "Sales", **change}
    assert await _refused(gql, pool, org, CREATE, input) == errors


async def test_another_organisations_team_is_no_parent(
    gql: GraphQLClient, demo: GraphQLClient, pool: Pool, org: Org
) -> None:
    demo_team = (await demo.data("{ teams(first: 1) { nodes { id } } }"))["teams"]["nodes"][0]
    errors = await _refused(
        gql, pool, org, CREATE, {"name": "Sales", "parentTeamId": demo_team["id"]}
    )
    assert errors == [(["input", "parentTeamId"], "NOT_FOUND")]


async def test_concurrent_creates_with_one_name_make_one_team(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    payloads = await asyncio.gather(*(_run(gql, CREATE, name="Sales") for _ in range(2)))
    assert sorted(p["team"] is None for p in payloads) == [False, True]
    (refused,) = [p for p in payloads if p["team"] is None]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "name"], "DUPLICATE_NAME")
    ]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM team WHERE organization_id = $1 AND name = 'Sales'", org["id"]
        )
        == 1
    )


async def test_the_unique_constraint_is_the_last_word_on_names(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    teams: dict[str, dict[str, Any]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def never_taken(*args: Any, **kwargs: Any) -> bool:
        return False

    monkeypatch.setattr("services.teams.db.name_taken", never_taken)
    create = {"name": "Marketing"}
    assert await _refused(gql, pool, org, CREATE, create) == [(["input", "name"], "DUPLICATE_NAME")]
    update = {"id": teams["content"]["id"], "name": "Marketing"}
    assert await _refused(gql, pool, org, UPDATE, update) == [(["input", "name"], "DUPLICATE_NAME")]


# --- updateTeam -----------------------------------------------------------------------------


async def test_an_update_changes_only_the_fields_given(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]]
) -> None:
    marketing = teams["marketing"]
    payload = await _run(gql, UPDATE, id=marketing["id"], name="Marknad & Varumärke")
    assert payload["userErrors"] == []
    team = payload["team"]
    assert team["name"] == "Marknad & Varumärke"
    assert team["description"] == "Demand and brand"
    assert team["version"] == marketing["version"] + 1
    assert team["updatedAt"] >= marketing["updatedAt"]
    event = await _last_event(pool, org)
    assert event["type"] == "team.updated"
    assert (event["before"]["name"], event["after"]["name"]) == (
        "Marketing",
        "Marknad & Varumärke",
    )


async def test_explicit_nulls_clear_and_absent_fields_keep(
    gql: GraphQLClient, teams: dict[str, dict[str, Any]]
) -> None:
    content = teams["content"]
    described = await _run(gql, UPDATE, id=content["id"], description="Blogg och nyhetsbrev")
    assert described["team"]["description"] == "Blogg och nyhetsbrev"
    assert described["team"]["parentTeam"]["id"] == teams["marketing"]["id"]
    cleared = await _run(gql, UPDATE, id=content["id"], description=None, parentTeamId=None)
    assert cleared["userErrors"] == []
    assert cleared["team"]["description"] is None
    assert cleared["team"]["parentTeam"] is None
    assert cleared["team"]["name"] == "Content"


async def test_an_update_that_changes_nothing_writes_nothing(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]]
) -> None:
    content = teams["content"]
    before = await _counts(pool, org)
    payload = await _run(
        gql, UPDATE, id=content["id"], name="Content", parentTeamId=teams["marketing"]["id"]
    )
    assert payload["userErrors"] == []
    assert payload["team"]["version"] == content["version"]
    assert await _counts(pool, org) == before


async def test_the_version_guards_against_lost_edits(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]]
) -> None:
    marketing = teams["marketing"]
    first = await _run(gql, UPDATE, id=marketing["id"], description="Theirs", version=1)
    assert first["team"]["version"] == 2
    errors = await _refused(
        gql, pool, org, UPDATE, {"id": marketing["id"], "description": "Ours", "version": 1}
    )
    assert errors == [(["input", "version"], "STALE_VERSION")]
    ours = await _run(gql, UPDATE, id=marketing["id"], description="Ours", version=2)
    assert ours["team"]["description"] == "Ours"


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": None}, [(["input", "name"], "REQUIRED")]),
        ({"name": "  "}, [(["input", "name"], "REQUIRED")]),
        ({"name": "x" * 201}, [(["input", "name"], "TOO_LONG")]),
        ({"description": "x" * 10_001}, [(["input", "description"], "TOO_LONG")]),
        ({"name": "Content"}, [(["input", "name"], "DUPLICATE_NAME")]),
        ({"id": encode_id("Team", 987654321)}, [(["input", "id"], "NOT_FOUND")]),
        ({"id": encode_id("User", 1)}, [(["input", "id"], "INVALID_ID")]),
        (
            {"parentTeamId": encode_id("Team", 987654321)},
            [(["input", "parentTeamId"], "NOT_FOUND")],
        ),
        ({"parentTeamId": "self"}, [(["input", "parentTeamId"], "INVALID")]),
        ({"parentTeamId": "content"}, [(["input", "parentTeamId"], "INVALID")]),
        ({"version": 3}, [(["input", "version"], "STALE_VERSION")]),
    ],
)
async def test_bad_input_to_update_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    teams: dict[str, dict[str, Any]],
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    input = {"id": teams["marketing"]["id"], **change}
    if input.get("parentTeamId") == "self":
        input["parentTeamId"] = input["id"]
    if input.get("parentTeamId") == "content":
        input["parentTeamId"] = teams["content"]["id"]
    assert await _refused(gql, pool, org, UPDATE, input) == errors


async def test_a_team_cannot_move_under_a_deeper_descendant(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]]
) -> None:
    blog = await _created(gql, name="Blog", parentTeamId=teams["content"]["id"])
    errors = await _refused(
        gql, pool, org, UPDATE, {"id": teams["marketing"]["id"], "parentTeamId": blog["id"]}
    )
    assert errors == [(["input", "parentTeamId"], "INVALID")]
    # while moving the other way, a sub-team up to the top, is fine
    moved = await _run(gql, UPDATE, id=blog["id"], parentTeamId=None)
    assert moved["team"]["parentTeam"] is None


async def test_concurrent_opposite_moves_never_make_a_loop(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    a = await _created(gql, name="A")
    b = await _created(gql, name="B")
    payloads = await asyncio.gather(
        _run(gql, UPDATE, id=a["id"], parentTeamId=b["id"]),
        _run(gql, UPDATE, id=b["id"], parentTeamId=a["id"]),
    )
    assert sorted(p["team"] is None for p in payloads) == [False, True]
    (refused,) = [p for p in payloads if p["team"] is None]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "parentTeamId"], "INVALID")
    ]


# --- addTeamMember / removeTeamMember --------------------------------------------------------


async def test_a_member_joins_and_leaves_a_team(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]], member: str
) -> None:
    content = teams["content"]["id"]
    # when a member of the organisation joins a team
    added = await _run(gql, ADD, teamId=content, userId=member)
    # then both sides show it
    assert added["userErrors"] == []
    assert added["team"]["members"]["nodes"] == [{"id": member, "name": "Björn Ångström"}]
    assert added["user"]["teams"]["nodes"] == [{"name": "Content"}]
    event = await _last_event(pool, org)
    assert (event["type"], event["subject_type"], event["after"]) == (
        "team.member_added",
        "Team",
        {"userId": member},
    )
    # when they leave it
    removed = await _run(gql, REMOVE, teamId=content, userId=member)
    assert removed["userErrors"] == []
    assert removed["team"]["members"]["totalCount"] == 0
    assert removed["user"]["name"] == "Björn Ångström"
    assert (await _last_event(pool, org))["type"] == "team.member_removed"


async def test_adding_a_member_twice_changes_nothing(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]], member: str
) -> None:
    content = teams["content"]["id"]
    await _run(gql, ADD, teamId=content, userId=member)
    before = await _counts(pool, org)
    again = await _run(gql, ADD, teamId=content, userId=member)
    assert again["userErrors"] == []
    assert again["team"]["members"]["totalCount"] == 1
    assert await _counts(pool, org) == before, "no second row and no second event"


async def test_concurrent_adds_of_one_member_make_one_membership(
    gql: GraphQLClient, pool: Pool, org: Org, teams: dict[str, dict[str, Any]], member: str
) -> None:
    content = teams["content"]["id"]
    payloads = await asyncio.gather(
        *(_run(gql, ADD, teamId=content, userId=member) for _ in range(3))
    )
    assert all(p["userErrors"] == [] for p in payloads)
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM team_member WHERE organization_id = $1", org["id"]
        )
        == 1
    )


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"userId": "outsider"}, [(["input", "userId"], "NOT_FOUND")]),
        ({"userId": encode_id("User", 987654321)}, [(["input", "userId"], "NOT_FOUND")]),
        ({"teamId": encode_id("Team", 987654321)}, [(["input", "teamId"], "NOT_FOUND")]),
        (
            {"teamId": encode_id("Team", 987654321), "userId": "outsider"},
            [(["input", "teamId"], "NOT_FOUND"), (["input", "userId"], "NOT_FOUND")],
        ),
        ({"userId": encode_id("Team", 1)}, [(["input", "userId"], "INVALID_ID")]),
        (
            {"teamId": "garbage", "userId": "garbage"},
            [(["input", "teamId"], "INVALID_ID"), (["input", "userId"], "INVALID_ID")],
        ),
    ],
)
async def test_bad_input_to_add_member_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    teams: dict[str, dict[str, Any]],
    member: str,
    outsider: str,
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    input = {"teamId": teams["content"]["id"], "userId": member, **change}
    if input["userId"] == "outsider":
        input["userId"] = outsider
    assert await _refused(gql, pool, org, ADD, input) == errors


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        # a member of the organisation who is not on the team
        ({}, [(["input", "userId"], "NOT_FOUND")]),
        ({"userId": "outsider"}, [(["input", "userId"], "NOT_FOUND")]),
        ({"teamId": encode_id("Team", 987654321)}, [(["input", "teamId"], "NOT_FOUND")]),
        ({"teamId": encode_id("Cycle", 1)}, [(["input", "teamId"], "INVALID_ID")]),
    ],
)
async def test_bad_input_to_remove_member_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    teams: dict[str, dict[str, Any]],
    member: str,
    outsider: str,
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    # given the admin is on the team, the member is not
    admin = encode_id("User", org["admin_id"])
    await _run(gql, ADD, teamId=teams["content"]["id"], userId=admin)
    input = {"teamId": teams["content"]["id"], "userId": member, **change}
    if input["userId"] == "outsider":
        input["userId"] = outsider
    assert await _refused(gql, pool, org, REMOVE, input) == errors


async def test_the_standard_executor_runs_team_mutations_too(
    gql: GraphQLClient, member: str
) -> None:
    # Mutations skip the client's comparison (they write); run one through the oracle by hand.
    response = await gql.post(CREATE, {"input": {"name": "Oracle"}}, standard=True)
    body = response.json()
    assert body["data"]["createTeam"]["userErrors"] == []
    team = body["data"]["createTeam"]["team"]
    added = await gql.post(ADD, {"input": {"teamId": team["id"], "userId": member}}, standard=True)
    assert added.json()["data"]["addTeamMember"]["team"]["members"]["totalCount"] == 1
