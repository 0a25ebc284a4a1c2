"""Authorization through the real endpoint: who may write what, and what the viewerCan* fields
say. A refusal is a FORBIDDEN error on the mutation's field (not a userError), and nothing is
written: no row, no event."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from db.ids import encode_id
from tests.signin import Caller, api_key, member, signin_http, token_for

__all__ = ["signin_http"]


@dataclass
class World:
    """An organisation: admin Ada, members Mia (owns a person objective and a key result in
    the team's objective) and Teo (on the Growth team), viewer Vic; a cycle; objectives owned
    by Mia, by Growth, by the company; each with a key result."""

    org: dict[str, Any]
    ids: dict[str, int]
    http: httpx.AsyncClient

    def gid(self, type_name: str, name: str) -> str:
        return encode_id(type_name, self.ids[name])

    def person(self, name: str) -> Caller:
        if name == "Ada":  # the organisation fixture's admin
            return Caller(self.http, self.org, token_for(f"admin+{self.org['slug']}@test.example"))
        return Caller.person(self.http, self.org, name)

    def key(self, secret: str) -> Caller:
        return Caller(self.http, self.org, secret)


@pytest.fixture
async def world(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> World:
    ids: dict[str, int] = {"ada": org["admin_id"]}
    for name, role in (("Mia", "MEMBER"), ("Teo", "MEMBER"), ("Vic", "VIEWER")):
        ids[name.lower()] = await member(pool, org, name, role)
    o = org["id"]
    async with pool.acquire() as conn, conn.transaction():
        ids["cycle"] = await conn.fetchval(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
            " VALUES ($1, 'Q4', '2026-01-01', '2026-12-31') RETURNING id",
            o,
        )
        ids["growth"] = await conn.fetchval(
            "INSERT INTO team (organization_id, name) VALUES ($1, 'Growth') RETURNING id", o
        )
        ids["other_team"] = await conn.fetchval(
            "INSERT INTO team (organization_id, name) VALUES ($1, 'Other') RETURNING id", o
        )
        await conn.execute(
            "INSERT INTO team_member (organization_id, team_id, user_id) VALUES ($1, $2, $3)",
            o,
            ids["growth"],
            ids["teo"],
        )
        for name, level, team, user in (
            ("mias", "PERSON", None, ids["mia"]),
            ("growths", "TEAM", ids["growth"], None),
            ("company", "COMPANY", None, None),
        ):
            ids[name] = await conn.fetchval(
                "INSERT INTO objective (organization_id, cycle_id, level, owner_team_id,"
                " owner_user_id, title) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                o,
                ids["cycle"],
                level,
                team,
                user,
                f"Objective {name}",
            )
        # Mia reports the key result of Growth's objective; Ada owns the company's.
        for objective, owner in (("mias", "mia"), ("growths", "mia"), ("company", "ada")):
            ids[f"{objective}_kr"] = await conn.fetchval(
                "INSERT INTO key_result (organization_id, objective_id, owner_user_id, title,"
                " start_value, target_value, position) VALUES ($1, $2, $3, 'KR', '0', '100', 0)"
                " RETURNING id",
                o,
                ids[objective],
                ids[owner],
            )
    return World(org, ids, signin_http)


UPDATE_OBJECTIVE = """mutation($id: ID!, $title: String!) {
  updateObjective(input: {id: $id, title: $title}) { objective { title } userErrors { code } }
}"""
CREATE_OBJECTIVE = """mutation($input: CreateObjectiveInput!) {
  createObjective(input: $input) { objective { title } userErrors { code } }
}"""
CREATE_KEY_RESULT = """mutation($id: ID!, $owner: ID) {
  createKeyResult(input: {objectiveId: $id, title: "New", kind: NUMERIC, startValue: "0",
                          targetValue: "10", ownerId: $owner}) {
    keyResult { title } userErrors { code }
  }
}"""
UPDATE_KEY_RESULT = """mutation($id: ID!) {
  updateKeyResult(input: {id: $id, title: "Renamed"}) { keyResult { title } userErrors { code } }
}"""
DELETE_KEY_RESULT = """mutation($id: ID!) {
  deleteKeyResult(input: {id: $id}) { userErrors { code } }
}"""
CHECK_IN = """mutation($id: ID!) {
  createCheckIn(input: {keyResultId: $id, value: "5", confidence: ON_TRACK}) {
    checkIn { value } userErrors { code }
  }
}"""
ALIGN = """mutation($child: ID!, $parent: ID!) {
  alignObjective(input: {childObjectiveId: $child, parentObjectiveId: $parent}) {
    userErrors { code }
  }
}"""
CLOSE = """mutation($id: ID!) {
  closeObjective(input: {id: $id, outcome: ACHIEVED}) { objective { status } userErrors { code } }
}"""
CREATE_CYCLE = """mutation {
  createCycle(input: {name: "2027", startsOn: "2027-01-01", endsOn: "2027-12-31"}) {
    cycle { name } userErrors { code }
  }
}"""
CREATE_TEAM = (
    """mutation { createTeam(input: {name: "Sales"}) { team { name } userErrors { code } } }"""
)
ADD_MEMBER = """mutation($team: ID!, $user: ID!) {
  addTeamMember(input: {teamId: $team, userId: $user}) { userErrors { code } }
}"""
CLOSE_CYCLE = """mutation($id: ID!) {
  closeCycle(input: {cycleId: $id}) { closedObjectives userErrors { code } }
}"""


async def _state(pool: asyncpg.Pool[Any], world: World) -> tuple[Any, ...]:
    o = world.org["id"]
    counts = await pool.fetchrow(
        "SELECT (SELECT count(*) FROM event WHERE organization_id = $1) AS events,"
        " (SELECT count(*) FROM objective WHERE organization_id = $1) AS objectives,"
        " (SELECT count(*) FROM key_result WHERE organization_id = $1) AS key_results,"
        " (SELECT count(*) FROM check_in WHERE organization_id = $1) AS check_ins,"
        " (SELECT count(*) FROM cycle WHERE organization_id = $1) AS cycles,"
        " (SELECT count(*) FROM team WHERE organization_id = $1) AS teams,"
        " (SELECT count(*) FROM team_member WHERE organization_id = $1) AS team_members,"
        " (SELECT count(*) FROM alignment WHERE organization_id = $1) AS alignments,"
        " (SELECT string_agg(title || status || version, ',' ORDER BY id) FROM objective"
        "  WHERE organization_id = $1) AS objective_rows,"
        " (SELECT string_agg(title || version, ',' ORDER BY id) FROM key_result"
        "  WHERE organization_id = $1) AS key_result_rows",
        o,
    )
    return tuple(counts)


async def assert_forbidden(
    pool: asyncpg.Pool[Any],
    world: World,
    caller: Caller,
    document: str,
    variables: dict[str, Any] | None = None,
) -> None:
    before = await _state(pool, world)
    body = await caller(document, variables)
    field = document.split("{", 2)[1].split("(")[0].strip()
    assert body["data"] is None, body
    assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
        ("FORBIDDEN", [field])
    ], body
    assert "userErrors" not in str(body)
    # the standard executor refuses the same way
    oracle = await caller(document, variables, standard=True)
    assert [e["extensions"]["code"] for e in oracle["errors"]] == ["FORBIDDEN"], oracle
    assert await _state(pool, world) == before


def assert_done(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    assert payload["userErrors"] == [], payload
    result: dict[str, Any] = payload
    return result


# --- viewers and read-only keys: FORBIDDEN on every mutation ------------------------------


async def _every_mutation(world: World) -> list[tuple[str, dict[str, Any] | None]]:
    g = world.gid
    return [
        (UPDATE_OBJECTIVE, {"id": g("Objective", "company"), "title": "x"}),
        (
            CREATE_OBJECTIVE,
            {"input": {"title": "x", "cycleId": g("Cycle", "cycle"), "level": "COMPANY"}},
        ),
        (CREATE_KEY_RESULT, {"id": g("Objective", "company")}),
        (UPDATE_KEY_RESULT, {"id": g("KeyResult", "company_kr")}),
        (DELETE_KEY_RESULT, {"id": g("KeyResult", "company_kr")}),
        (CHECK_IN, {"id": g("KeyResult", "company_kr")}),
        (ALIGN, {"child": g("Objective", "mias"), "parent": g("Objective", "company")}),
        (CLOSE, {"id": g("Objective", "company")}),
        (CREATE_CYCLE, None),
        (CREATE_TEAM, None),
        (ADD_MEMBER, {"team": g("Team", "growth"), "user": g("User", "vic")}),
        (CLOSE_CYCLE, {"id": g("Cycle", "cycle")}),
    ]


async def test_a_viewer_is_forbidden_every_mutation(world: World, pool: asyncpg.Pool[Any]) -> None:
    for document, variables in await _every_mutation(world):
        await assert_forbidden(pool, world, world.person("Vic"), document, variables)


async def test_a_viewer_is_forbidden_even_with_invalid_input(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    # authorization comes first: no userErrors tell a viewer anything about the input
    await assert_forbidden(
        pool, world, world.person("Vic"), UPDATE_OBJECTIVE, {"id": "garbage", "title": ""}
    )


async def test_a_read_only_key_is_forbidden_every_mutation(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    key = await api_key(pool, world.org, "read")
    for document, variables in await _every_mutation(world):
        await assert_forbidden(pool, world, world.key(key.secret), document, variables)


# --- members ------------------------------------------------------------------------------


async def test_a_member_changes_only_what_they_or_their_team_own(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    mia, teo, g = world.person("Mia"), world.person("Teo"), world.gid
    # Mia owns her objective; Teo is on Growth's team
    done = assert_done(await mia(UPDATE_OBJECTIVE, {"id": g("Objective", "mias"), "title": "M"}))
    assert done["objective"]["title"] == "M"
    done = assert_done(await teo(UPDATE_OBJECTIVE, {"id": g("Objective", "growths"), "title": "G"}))
    assert done["objective"]["title"] == "G"
    assert_done(await teo(CREATE_KEY_RESULT, {"id": g("Objective", "growths")}))
    # neither changes the other's objective, nor the company's
    for caller, objective in ((mia, "growths"), (mia, "company"), (teo, "mias"), (teo, "company")):
        await assert_forbidden(
            pool, world, caller, UPDATE_OBJECTIVE, {"id": g("Objective", objective), "title": "x"}
        )
        await assert_forbidden(pool, world, caller, CLOSE, {"id": g("Objective", objective)})
        await assert_forbidden(
            pool, world, caller, CREATE_KEY_RESULT, {"id": g("Objective", objective)}
        )
    # aligning changes the child: Teo may align Growth's objective, not Mia's
    assert_done(
        await teo(ALIGN, {"child": g("Objective", "growths"), "parent": g("Objective", "company")})
    )
    await assert_forbidden(
        pool,
        world,
        teo,
        ALIGN,
        {"child": g("Objective", "mias"), "parent": g("Objective", "company")},
    )


async def test_a_member_creates_objectives_only_for_themselves_or_their_teams(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    teo, g = world.person("Teo"), world.gid
    cycle = g("Cycle", "cycle")
    own = {"title": "Mine", "cycleId": cycle, "level": "PERSON", "ownerUserId": g("User", "teo")}
    team = {"title": "Ours", "cycleId": cycle, "level": "TEAM", "ownerTeamId": g("Team", "growth")}
    assert_done(await teo(CREATE_OBJECTIVE, {"input": own}))
    assert_done(await teo(CREATE_OBJECTIVE, {"input": team}))
    for refused in (
        {"title": "x", "cycleId": cycle, "level": "COMPANY"},
        {**own, "ownerUserId": g("User", "mia")},
        {**team, "ownerTeamId": g("Team", "other_team")},
    ):
        await assert_forbidden(pool, world, teo, CREATE_OBJECTIVE, {"input": refused})
    # nor hands an objective to a team they are not on
    await assert_forbidden(
        pool,
        world,
        world.person("Mia"),
        """mutation($id: ID!, $team: ID!) {
          updateObjective(input: {id: $id, level: TEAM, ownerTeamId: $team}) { userErrors { code } }
        }""",
        {"id": g("Objective", "mias"), "team": g("Team", "other_team")},
    )


async def test_check_ins_by_the_owners_and_the_team(world: World, pool: asyncpg.Pool[Any]) -> None:
    mia, teo, g = world.person("Mia"), world.person("Teo"), world.gid
    # Mia owns the key result of Growth's objective; Teo is on Growth
    assert_done(await mia(CHECK_IN, {"id": g("KeyResult", "growths_kr")}))
    assert_done(await teo(CHECK_IN, {"id": g("KeyResult", "growths_kr")}))
    # Mia owns her objective (and its key result); Teo neither
    assert_done(await mia(CHECK_IN, {"id": g("KeyResult", "mias_kr")}))
    await assert_forbidden(pool, world, teo, CHECK_IN, {"id": g("KeyResult", "mias_kr")})
    # the company's key result is Ada's
    await assert_forbidden(pool, world, mia, CHECK_IN, {"id": g("KeyResult", "company_kr")})
    assert_done(await world.person("Ada")(CHECK_IN, {"id": g("KeyResult", "company_kr")}))


async def test_the_key_results_owner_edits_it_but_not_its_objective(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    mia, g = world.person("Mia"), world.gid
    done = assert_done(await mia(UPDATE_KEY_RESULT, {"id": g("KeyResult", "growths_kr")}))
    assert done["keyResult"]["title"] == "Renamed"
    await assert_forbidden(
        pool, world, mia, DELETE_KEY_RESULT, {"id": g("KeyResult", "growths_kr")}
    )
    await assert_forbidden(
        pool, world, mia, UPDATE_OBJECTIVE, {"id": g("Objective", "growths"), "title": "x"}
    )


async def test_only_admins_manage_cycles_and_teams(world: World, pool: asyncpg.Pool[Any]) -> None:
    g = world.gid
    for name in ("Mia", "Teo"):
        for document, variables in (
            (CREATE_CYCLE, None),
            (CREATE_TEAM, None),
            (ADD_MEMBER, {"team": g("Team", "growth"), "user": g("User", "mia")}),
            (CLOSE_CYCLE, {"id": g("Cycle", "cycle")}),
        ):
            await assert_forbidden(pool, world, world.person(name), document, variables)
    ada = world.person("Ada")
    assert_done(await ada(CREATE_CYCLE))
    assert_done(await ada(CREATE_TEAM))
    assert_done(await ada(ADD_MEMBER, {"team": g("Team", "growth"), "user": g("User", "mia")}))


# --- API keys -----------------------------------------------------------------------------


async def test_a_checkins_write_key_only_checks_in(world: World, pool: asyncpg.Pool[Any]) -> None:
    key = world.key((await api_key(pool, world.org, "read", "checkins:write")).secret)
    g = world.gid
    assert_done(await key(CHECK_IN, {"id": g("KeyResult", "company_kr")}))
    await assert_forbidden(
        pool, world, key, UPDATE_OBJECTIVE, {"id": g("Objective", "company"), "title": "x"}
    )
    await assert_forbidden(
        pool, world, key, UPDATE_KEY_RESULT, {"id": g("KeyResult", "company_kr")}
    )


async def test_a_write_key_does_member_writes_but_never_administers(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    key = world.key((await api_key(pool, world.org, "write")).secret)
    g = world.gid
    assert_done(await key(UPDATE_OBJECTIVE, {"id": g("Objective", "company"), "title": "K"}))
    # (a key is nobody: its key results name their owner)
    assert_done(
        await key(CREATE_KEY_RESULT, {"id": g("Objective", "mias"), "owner": g("User", "mia")})
    )
    assert_done(await key(CHECK_IN, {"id": g("KeyResult", "mias_kr")}))
    for document, variables in (
        (CREATE_CYCLE, None),
        (CREATE_TEAM, None),
        (CLOSE_CYCLE, {"id": g("Cycle", "cycle")}),
    ):
        await assert_forbidden(pool, world, key, document, variables)


async def test_a_key_limited_to_teams_writes_only_their_objectives(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    issued = await api_key(pool, world.org, "write", team_ids=[world.ids["growth"]])
    key, g = world.key(issued.secret), world.gid
    assert_done(await key(UPDATE_OBJECTIVE, {"id": g("Objective", "growths"), "title": "G"}))
    assert_done(await key(CHECK_IN, {"id": g("KeyResult", "growths_kr")}))
    for objective in ("mias", "company"):
        await assert_forbidden(
            pool, world, key, UPDATE_OBJECTIVE, {"id": g("Objective", objective), "title": "x"}
        )
        await assert_forbidden(
            pool, world, key, CHECK_IN, {"id": g("KeyResult", f"{objective}_kr")}
        )


# --- what a frontend may show -------------------------------------------------------------

VIEWER_CAN = """{
  cycles(first: 5) { nodes { viewerCanUpdate } }
  teams(first: 5) { nodes { name viewerCanUpdate } }
  objectives(first: 10) {
    nodes {
      title viewerCanUpdate
      keyResults(first: 5) { nodes { viewerCanUpdate viewerCanCheckIn } }
    }
  }
}"""


async def _viewer_can(caller: Caller) -> dict[str, Any]:
    body = await caller(VIEWER_CAN)
    assert "errors" not in body, body
    # the planner and the standard executor agree
    assert await caller(VIEWER_CAN, standard=True) == body
    data = body["data"]
    return {
        "cycles": [c["viewerCanUpdate"] for c in data["cycles"]["nodes"]],
        "teams": [t["viewerCanUpdate"] for t in data["teams"]["nodes"]],
        "objectives": {
            o["title"].removeprefix("Objective "): (
                o["viewerCanUpdate"],
                [(k["viewerCanUpdate"], k["viewerCanCheckIn"]) for k in o["keyResults"]["nodes"]],
            )
            for o in data["objectives"]["nodes"]
        },
    }


async def test_viewer_can_fields_say_what_the_caller_may_do(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    assert await _viewer_can(world.person("Ada")) == {
        "cycles": [True],
        "teams": [True, True],
        "objectives": {n: (True, [(True, True)]) for n in ("mias", "growths", "company")},
    }
    assert await _viewer_can(world.person("Mia")) == {
        "cycles": [False],
        "teams": [False, False],
        "objectives": {
            "mias": (True, [(True, True)]),
            # she reports the key result of Growth's objective
            "growths": (False, [(True, True)]),
            "company": (False, [(False, False)]),
        },
    }
    assert await _viewer_can(world.person("Teo")) == {
        "cycles": [False],
        "teams": [False, False],
        "objectives": {
            "mias": (False, [(False, False)]),
            "growths": (True, [(True, True)]),
            "company": (False, [(False, False)]),
        },
    }
    nothing = {
        "cycles": [False],
        "teams": [False, False],
        "objectives": {n: (False, [(False, False)]) for n in ("mias", "growths", "company")},
    }
    assert await _viewer_can(world.person("Vic")) == nothing
    read = await api_key(pool, world.org, "read")
    assert await _viewer_can(world.key(read.secret)) == nothing
    checkins = await api_key(pool, world.org, "checkins:write", team_ids=[world.ids["growth"]])
    assert await _viewer_can(world.key(checkins.secret)) == {
        **nothing,
        "objectives": {**nothing["objectives"], "growths": (False, [(False, True)])},
    }


CHECK_INS = """mutation($items: [CreateCheckInInput!]!) {
  createCheckIns(input: {items: $items}) { userErrors { code } }
}"""


async def test_a_bulk_check_in_is_forbidden_when_any_item_is(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    mia, g = world.person("Mia"), world.gid
    item = {"value": "5", "confidence": "ON_TRACK"}
    allowed = {**item, "keyResultId": g("KeyResult", "mias_kr")}
    refused = {**item, "keyResultId": g("KeyResult", "company_kr")}
    await assert_forbidden(pool, world, mia, CHECK_INS, {"items": [allowed, refused]})
    await assert_forbidden(pool, world, world.person("Vic"), CHECK_INS, {"items": [allowed]})
    assert_done(await mia(CHECK_INS, {"items": [allowed]}))


async def test_administration_data_is_for_admins_on_every_path(
    world: World, pool: asyncpg.Pool[Any]
) -> None:
    # given an API key of the organisation
    key = await api_key(pool, world.org, "read")
    key_id = encode_id("ApiKey", key.id)
    reads = (
        ("{ apiKeys(first: 5) { totalCount } }", {}),
        ("query ($id: ID!) { node(id: $id) { id } }", {"id": key_id}),
        ("query ($id: ID!) { nodes(ids: [$id]) { id } }", {"id": key_id}),
    )
    for query, variables in reads:
        # when a member, a viewer or a read key asks for it, it is FORBIDDEN on both executors
        for caller in (world.person("Mia"), world.person("Vic"), world.key(key.secret)):
            for standard in (False, True):
                body = await caller(query, variables, standard=standard)
                assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
        # and an admin reads it
        body = await world.person("Ada")(query, variables)
        assert "errors" not in body, body
