"""Objective mutations: every rule, its bad input, and nothing half-written.

createObjective, updateObjective, setObjectiveStatus, closeObjective, reopenObjective,
deleteObjective and closeCycle, all through the real endpoint.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from db.ids import decode_id_of, encode_id
from services.progress import recompute_all
from tests.arrange import objective_tree
from tests.graphql import GraphQLClient

OBJECTIVE = """id title description level status progressSource progress finalScore outcome
  reflection closedAt version updatedAt cycle { id name } ownerTeam { id name }
  ownerUser { id name }"""

CREATE = f"""mutation ($input: CreateObjectiveInput!) {{
  createObjective(input: $input) {{ objective {{ {OBJECTIVE} }} userErrors {{ field message code }} }}
}}"""
UPDATE = f"""mutation ($input: UpdateObjectiveInput!) {{
  updateObjective(input: $input) {{ objective {{ {OBJECTIVE} }} userErrors {{ field message code }} }}
}}"""
SET_STATUS = f"""mutation ($input: SetObjectiveStatusInput!) {{
  setObjectiveStatus(input: $input) {{ objective {{ {OBJECTIVE} }} userErrors {{ field message code }} }}
}}"""
CLOSE = f"""mutation ($input: CloseObjectiveInput!) {{
  closeObjective(input: $input) {{ objective {{ {OBJECTIVE} }} userErrors {{ field message code }} }}
}}"""
REOPEN = f"""mutation ($input: ReopenObjectiveInput!) {{
  reopenObjective(input: $input) {{ objective {{ {OBJECTIVE} }} userErrors {{ field message code }} }}
}}"""
DELETE = """mutation ($input: DeleteObjectiveInput!) {
  deleteObjective(input: $input) { deletedObjectiveId userErrors { field message code } }
}"""
CLOSE_CYCLE = """mutation ($input: CloseCycleInput!) {
  closeCycle(input: $input) {
    cycle { id name objectives(first: 50) { nodes { id title status finalScore outcome } } }
    closedObjectives
    userErrors { field message code }
  }
}"""

# The payload field holding the entity, per mutation (None when nothing was written).
_ENTITY = {
    "createObjective": "objective",
    "updateObjective": "objective",
    "setObjectiveStatus": "objective",
    "closeObjective": "objective",
    "reopenObjective": "objective",
    "deleteObjective": "deletedObjectiveId",
    "closeCycle": "cycle",
}
_DOCUMENTS = {
    "createObjective": CREATE,
    "updateObjective": UPDATE,
    "setObjectiveStatus": SET_STATUS,
    "closeObjective": CLOSE,
    "reopenObjective": REOPEN,
    "deleteObjective": DELETE,
    "closeCycle": CLOSE_CYCLE,
}
_TABLES = ("objective", "key_result", "check_in", "alignment", "event")


# --- arranging ----------------------------------------------------------------------------


@pytest.fixture
async def world(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> dict[str, Any]:
    """Cycles (a year, its Q4, the next year's Q1), a team, a second member, and global ids."""
    async with pool.acquire() as conn, conn.transaction():
        year = await conn.fetchval(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
            " VALUES ($1, '2026', '2026-01-01', '2026-12-31') RETURNING id",
            org["id"],
        )
        q4 = await conn.fetchval(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on, parent_cycle_id)"
            " VALUES ($1, '2026 Q4', '2026-10-01', '2026-12-31', $2) RETURNING id",
            org["id"],
            year,
        )
        next_q1 = await conn.fetchval(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
            " VALUES ($1, '2027 Q1', '2027-01-01', '2027-03-31') RETURNING id",
            org["id"],
        )
        team = await conn.fetchval(
            "INSERT INTO team (organization_id, name) VALUES ($1, 'Marknad') RETURNING id",
            org["id"],
        )
        from db.organizations import add_member

        bea = await add_member(
            conn, org["id"], "Bea Bakker", f"bea+{org['slug']}@test.example", "MEMBER"
        )
    return {
        "year": encode_id("Cycle", year),
        "q4": encode_id("Cycle", q4),
        "next_q1": encode_id("Cycle", next_q1),
        "team": encode_id("Team", team),
        "admin": encode_id("User", org["admin_id"]),
        "bea": encode_id("User", bea),
    }


@pytest.fixture
async def tree(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> list[str]:
    """Three objectives with key results and check-ins; the 2nd and 3rd aligned under the 1st."""
    async with pool.acquire() as conn, conn.transaction():
        ids = await objective_tree(conn, org["id"], org["admin_id"], 3)
    return [encode_id("Objective", i) for i in ids]


async def _fingerprint(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> dict[str, str]:
    """Every row of the tables a mutation may touch, hashed: equal means nothing changed."""
    prints = {}
    for table in _TABLES:
        prints[table] = await pool.fetchval(
            f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), ''))"
            f" FROM {table} t WHERE organization_id = $1",
            org["id"],
        )
    return prints


async def _run(gql: GraphQLClient, name: str, input: dict[str, Any]) -> dict[str, Any]:
    """Run one mutation; HTTP 200 and no top-level errors, whatever the input's fate."""
    payload: dict[str, Any] = (await gql.data(_DOCUMENTS[name], {"input": input}))[name]
    return payload


async def _ok(gql: GraphQLClient, name: str, input: dict[str, Any]) -> dict[str, Any]:
    payload = await _run(gql, name, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def _refused(
    gql: GraphQLClient,
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    name: str,
    input: dict[str, Any],
) -> list[tuple[list[str], str]]:
    """Run a mutation that must be refused; nothing may change. Returns (field, code) pairs."""
    before = await _fingerprint(pool, org)
    payload = await _run(gql, name, input)
    assert payload[_ENTITY[name]] is None
    assert payload["userErrors"], "a refused mutation says why"
    assert all(e["message"] for e in payload["userErrors"])
    assert await _fingerprint(pool, org) == before, "a refused mutation leaves no trace"
    return [(e["field"], e["code"]) for e in payload["userErrors"]]


async def _create(gql: GraphQLClient, world: dict[str, Any], **input: Any) -> dict[str, Any]:
    data = {"title": "Öka intäkterna", "cycleId": world["q4"], "level": "COMPANY", **input}
    objective: dict[str, Any] = (await _ok(gql, "createObjective", data))["objective"]
    return objective


async def _events(pool: asyncpg.Pool[Any], org: dict[str, Any], subject_id: str) -> list[Any]:
    return list(
        await pool.fetch(
            "SELECT type, subject_type, actor_user_id, before, after FROM event"
            " WHERE organization_id = $1 AND subject_type = 'Objective' AND subject_id = $2"
            " ORDER BY id",
            org["id"],
            decode_id_of(subject_id, "Objective"),
        )
    )


async def _set_row(
    pool: asyncpg.Pool[Any], org: dict[str, Any], objective: str, assignments: str
) -> None:
    """Arrange an objective's state directly (a closed or archived one, a given progress)."""
    await pool.execute(
        f"UPDATE objective SET {assignments} WHERE organization_id = $1 AND id = $2",
        org["id"],
        decode_id_of(objective, "Objective"),
    )


_CLOSE = "closed_at = now(), final_score = 0.5, outcome = 'PARTIAL'"
_CLOSED = f"status = 'CLOSED', {_CLOSE}"


# --- createObjective ----------------------------------------------------------------------


async def test_create_a_company_objective(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # when a company objective is created with only what it needs
    objective = await _create(
        gql, world, title="  Öka intäkterna  ", description="Från 1,5 till 2,5 MUSD"
    )
    # then it is ACTIVE, scored by its key results, has no progress yet and is version 1
    assert objective["title"] == "Öka intäkterna"
    assert objective["description"] == "Från 1,5 till 2,5 MUSD"
    assert (objective["level"], objective["status"]) == ("COMPANY", "ACTIVE")
    assert objective["progressSource"] == "KEY_RESULTS"
    assert objective["progress"] is None
    assert objective["version"] == 1
    assert objective["cycle"]["id"] == world["q4"]
    assert objective["ownerTeam"] is None
    assert objective["ownerUser"] is None
    # and the creation is in the event log, by its actor
    [event] = await _events(pool, org, objective["id"])
    assert (event["type"], event["actor_user_id"], event["before"]) == (
        "objective.created",
        org["admin_id"],
        None,
    )
    assert event["after"]["title"] == "Öka intäkterna"
    assert event["after"]["status"] == "ACTIVE"


async def test_create_team_and_person_objectives(gql: GraphQLClient, world: dict[str, Any]) -> None:
    team = await _create(
        gql, world, level="TEAM", ownerTeamId=world["team"], status="DRAFT",
        progressSource="CHILDREN",
    )  # fmt: skip
    assert (team["level"], team["status"], team["progressSource"]) == ("TEAM", "DRAFT", "CHILDREN")
    assert team["ownerTeam"] == {"id": world["team"], "name": "Marknad"}
    person = await _create(gql, world, level="PERSON", ownerUserId=world["bea"])
    assert person["ownerUser"] == {"id": world["bea"], "name": "Bea Bakker"}
    assert person["ownerTeam"] is None


@pytest.mark.parametrize(
    "title",
    [
        "Öka andelen kvalificerade leads från 250 till 350 per kvartal",
        "Verhoog het aantal coöperatieve ĳverige klanten — één keer per maand",
        "🚀 Lansera 🇸🇪 & groei 📈 naïef café",
        "x" * 200,
    ],
    ids=["swedish", "dutch", "emoji", "longest"],
)
async def test_titles_round_trip_exactly(
    gql: GraphQLClient, world: dict[str, Any], title: str
) -> None:
    created = await _create(gql, world, title=title, description=f"{title}\n{title}")
    assert created["title"] == title
    assert created["description"] == f"{title}\n{title}"
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { title } } }", {"id": created["id"]}
    )
    assert read["node"]["title"] == title
    updated = (
        await _ok(gql, "updateObjective", {"id": created["id"], "title": f"{title[:190]} ✓"})
    )["objective"]
    assert updated["title"] == f"{title[:190]} ✓"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": ""}, "title", "REQUIRED"),
        ({"title": "   \n\t "}, "title", "REQUIRED"),
        ({"title": "x" * 201}, "title", "TOO_LONG"),
        ({"title": "🚀" * 10_000}, "title", "TOO_LONG"),
        ({"description": "x" * 10_001}, "description", "TOO_LONG"),
        ({"cycleId": encode_id("Cycle", 987654321)}, "cycleId", "NOT_FOUND"),
        ({"cycleId": encode_id("Team", 1)}, "cycleId", "INVALID_ID"),
        ({"cycleId": "not-an-id"}, "cycleId", "INVALID_ID"),
        ({"level": "TEAM"}, "ownerTeamId", "REQUIRED"),
        ({"level": "PERSON"}, "ownerUserId", "REQUIRED"),
        ({"ownerTeamId": "TEAM"}, "ownerTeamId", "INVALID"),
        ({"ownerUserId": "ADMIN"}, "ownerUserId", "INVALID"),
        ({"level": "PERSON", "ownerUserId": "ADMIN", "ownerTeamId": "TEAM"}, "ownerTeamId",
         "INVALID"),
        ({"level": "TEAM", "ownerTeamId": "TEAM", "ownerUserId": "ADMIN"}, "ownerUserId",
         "INVALID"),
        ({"level": "TEAM", "ownerTeamId": encode_id("Team", 987654321)}, "ownerTeamId",
         "NOT_FOUND"),
        ({"level": "PERSON", "ownerUserId": encode_id("User", 987654321)}, "ownerUserId",
         "NOT_FOUND"),
        ({"level": "PERSON", "ownerUserId": "TEAM"}, "ownerUserId", "INVALID_ID"),
        ({"status": "CLOSED"}, "status", "INVALID_TRANSITION"),
        ({"status": "ARCHIVED"}, "status", "INVALID_TRANSITION"),
    ],
)  # fmt: skip
async def test_create_refuses_bad_input_on_its_field(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    # Placeholders name the world's ids, which exist only once the fixture ran.
    aliases = {"TEAM": world["team"], "ADMIN": world["admin"]}
    change = {k: aliases.get(v, v) if k.endswith("Id") else v for k, v in change.items()}
    input = {"title": "Öka intäkterna", "cycleId": world["q4"], "level": "COMPANY", **change}
    errors = await _refused(gql, pool, org, "createObjective", input)
    assert (["input", field], code) in errors


async def test_create_reports_every_broken_rule_together(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    input = {
        "title": "Grow",
        "cycleId": encode_id("Cycle", 987654321),
        "level": "TEAM",
        "ownerUserId": world["bea"],
    }
    errors = await _refused(gql, pool, org, "createObjective", input)
    assert sorted(errors) == [
        (["input", "cycleId"], "NOT_FOUND"),
        (["input", "ownerTeamId"], "REQUIRED"),
        (["input", "ownerUserId"], "INVALID"),
    ]


async def test_another_organisations_cycle_team_and_people_are_not_found(
    gql: GraphQLClient,
    demo: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    theirs = await demo.data(
        "{ cycles(first: 1) { nodes { id } } teams(first: 1) { nodes { id } }"
        " users(first: 1) { nodes { id } } }"
    )
    cycle = theirs["cycles"]["nodes"][0]["id"]
    team = theirs["teams"]["nodes"][0]["id"]
    user = theirs["users"]["nodes"][0]["id"]
    base = {"title": "Grow", "cycleId": world["q4"], "level": "COMPANY"}
    assert await _refused(gql, pool, org, "createObjective", {**base, "cycleId": cycle}) == [
        (["input", "cycleId"], "NOT_FOUND")
    ]
    assert await _refused(
        gql, pool, org, "createObjective", {**base, "level": "TEAM", "ownerTeamId": team}
    ) == [(["input", "ownerTeamId"], "NOT_FOUND")]
    assert await _refused(
        gql, pool, org, "createObjective", {**base, "level": "PERSON", "ownerUserId": user}
    ) == [(["input", "ownerUserId"], "NOT_FOUND")]
    assert await _refused(gql, pool, org, "closeCycle", {"cycleId": cycle}) == [
        (["input", "cycleId"], "NOT_FOUND")
    ]


# --- updateObjective ----------------------------------------------------------------------


async def test_update_changes_only_the_given_fields(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an objective with a description
    created = await _create(gql, world, description="Varför det spelar roll")
    # when only the title changes, with the version it was read at
    updated = (
        await _ok(
            gql,
            "updateObjective",
            {"id": created["id"], "title": "Groei de omzet", "version": 1},
        )
    )["objective"]
    # then the title changed, the description stayed, and the version moved on
    assert updated["title"] == "Groei de omzet"
    assert updated["description"] == "Varför det spelar roll"
    assert updated["version"] == 2
    assert updated["updatedAt"] > created["updatedAt"]
    # and the event keeps both sides
    event = (await _events(pool, org, created["id"]))[-1]
    assert event["type"] == "objective.updated"
    assert (event["before"]["title"], event["after"]["title"]) == (
        "Öka intäkterna",
        "Groei de omzet",
    )
    assert (event["before"]["version"], event["after"]["version"]) == (1, 2)


async def test_an_explicit_null_clears_the_description_an_absent_one_keeps_it(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    created = await _create(gql, world, description="Syfte")
    kept = await _ok(gql, "updateObjective", {"id": created["id"], "title": "Nytt namn"})
    assert kept["objective"]["description"] == "Syfte"
    cleared = await _ok(gql, "updateObjective", {"id": created["id"], "description": None})
    assert cleared["objective"]["description"] is None
    assert cleared["objective"]["title"] == "Nytt namn"
    # a variable left out of the document's variables is absent too
    document = """mutation ($id: ID!, $d: String) {
      updateObjective(input: {id: $id, description: $d}) { objective { description } userErrors { code } } }"""
    await _ok(gql, "updateObjective", {"id": created["id"], "description": "Igen"})
    body = await gql.data(document, {"id": created["id"]})
    assert body["updateObjective"]["objective"]["description"] == "Igen"


@pytest.mark.parametrize("field", ["title", "cycleId", "level", "progressSource"])
async def test_required_fields_cannot_be_cleared(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    field: str,
) -> None:
    created = await _create(gql, world)
    errors = await _refused(gql, pool, org, "updateObjective", {"id": created["id"], field: None})
    assert errors == [(["input", field], "REQUIRED")]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"title": "  "}, "title", "REQUIRED"),
        ({"title": "x" * 10_000}, "title", "TOO_LONG"),
        ({"description": "x" * 10_001}, "description", "TOO_LONG"),
        ({"cycleId": encode_id("Cycle", 987654321)}, "cycleId", "NOT_FOUND"),
        ({"cycleId": encode_id("Objective", 1)}, "cycleId", "INVALID_ID"),
        ({"ownerTeamId": encode_id("Team", 1)}, "ownerTeamId", "INVALID"),
        ({"level": "TEAM"}, "ownerTeamId", "REQUIRED"),
        ({"level": "TEAM", "ownerTeamId": encode_id("Team", 987654321)}, "ownerTeamId",
         "NOT_FOUND"),
        ({"ownerUserId": None}, "ownerUserId", "REQUIRED"),
        ({"ownerUserId": encode_id("User", 987654321)}, "ownerUserId", "NOT_FOUND"),
        ({"version": 7}, "version", "STALE_VERSION"),
        ({"id": encode_id("Objective", 987654321)}, "id", "NOT_FOUND"),
        ({"id": encode_id("KeyResult", 1)}, "id", "INVALID_ID"),
        ({"id": "😀"}, "id", "INVALID_ID"),
    ],
)  # fmt: skip
async def test_update_refuses_bad_input_on_its_field(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    created = await _create(gql, world, level="PERSON", ownerUserId=world["bea"])
    errors = await _refused(
        gql, pool, org, "updateObjective", {"id": created["id"], "title": "Ny titel", **change}
    )
    assert (["input", field], code) in errors


async def test_a_stale_version_writes_nothing_and_the_current_one_does(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    await _ok(gql, "updateObjective", {"id": created["id"], "title": "Andra", "version": 1})
    # a form still holding version 1 would overwrite that change
    errors = await _refused(
        gql, pool, org, "updateObjective", {"id": created["id"], "title": "Tredje", "version": 1}
    )
    assert errors == [(["input", "version"], "STALE_VERSION")]
    payload = await _ok(
        gql, "updateObjective", {"id": created["id"], "title": "Tredje", "version": 2}
    )
    assert payload["objective"]["version"] == 3


async def test_concurrent_updates_of_one_version_let_exactly_one_through(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    results = await asyncio.gather(
        *(
            _run(gql, "updateObjective", {"id": created["id"], "title": f"T{n}", "version": 1})
            for n in range(4)
        )
    )
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), ("STALE_VERSION",), ("STALE_VERSION",), ("STALE_VERSION",)]


async def test_an_update_that_changes_nothing_writes_nothing(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world, description="Syfte")
    before = await _fingerprint(pool, org)
    payload = await _ok(
        gql,
        "updateObjective",
        {"id": created["id"], "title": created["title"], "description": "Syfte", "version": 1},
    )
    assert payload["objective"]["version"] == 1
    assert await _fingerprint(pool, org) == before


async def test_changing_the_level_moves_the_owner(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    created = await _create(gql, world, level="PERSON", ownerUserId=world["bea"])
    # another person
    person = await _ok(gql, "updateObjective", {"id": created["id"], "ownerUserId": world["admin"]})
    assert person["objective"]["ownerUser"]["name"] == "Ada Admin"
    # to a team: the person goes without being told
    team = (
        await _ok(
            gql,
            "updateObjective",
            {"id": created["id"], "level": "TEAM", "ownerTeamId": world["team"]},
        )
    )["objective"]
    assert (team["level"], team["ownerTeam"]["name"], team["ownerUser"]) == (
        "TEAM",
        "Marknad",
        None,
    )
    # a resent, unchanged level keeps the team
    same = (await _ok(gql, "updateObjective", {"id": created["id"], "level": "TEAM"}))["objective"]
    assert same["ownerTeam"]["name"] == "Marknad"
    # to the company: no owner at all
    company = await _ok(gql, "updateObjective", {"id": created["id"], "level": "COMPANY"})
    assert company["objective"]["ownerTeam"] is None
    assert company["objective"]["ownerUser"] is None


async def test_moving_to_another_cycle(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    demo: GraphQLClient,
) -> None:
    created = await _create(gql, world)
    moved = await _ok(gql, "updateObjective", {"id": created["id"], "cycleId": world["next_q1"]})
    assert moved["objective"]["cycle"]["name"] == "2027 Q1"
    theirs = (await demo.data("{ cycles(first: 1) { nodes { id } } }"))["cycles"]["nodes"][0]["id"]
    errors = await _refused(
        gql, pool, org, "updateObjective", {"id": created["id"], "cycleId": theirs}
    )
    assert errors == [(["input", "cycleId"], "NOT_FOUND")]


async def test_a_move_must_keep_aligned_cycles_overlapping(
    gql: GraphQLClient, tree: list[str], world: dict[str, Any], pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:  # fmt: skip
    # given a child aligned under a parent in Q4 2026: the next Q1 overlaps neither
    errors = await _refused(
        gql, pool, org, "updateObjective", {"id": tree[1], "cycleId": world["next_q1"]}
    )
    assert errors == [(["input", "cycleId"], "ALIGNMENT_CYCLES_DISJOINT")]
    errors = await _refused(
        gql, pool, org, "updateObjective", {"id": tree[0], "cycleId": world["next_q1"]}
    )
    assert errors == [(["input", "cycleId"], "ALIGNMENT_CYCLES_DISJOINT")]
    # the year holds the quarter, so it overlaps
    await _ok(gql, "updateObjective", {"id": tree[1], "cycleId": world["year"]})


async def test_a_new_progress_source_rescores_the_objective_at_once(
    gql: GraphQLClient, tree: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a parent scored by its own key results, with two children
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { progress"
        " children(first: 5) { nodes { progress } } } } }",
        {"id": tree[0]},
    )
    children = [c["progress"] for c in read["node"]["children"]["nodes"]]
    assert read["node"]["progress"] != pytest.approx(sum(children) / 2)
    # when it is driven by its children instead
    payload = await _ok(gql, "updateObjective", {"id": tree[0], "progressSource": "CHILDREN"})
    # then its progress is theirs at once
    assert payload["objective"]["progressSource"] == "CHILDREN"
    assert payload["objective"]["progress"] == pytest.approx(sum(children) / 2, abs=1e-6)
    # and it is what a recomputation from scratch gives
    async with pool.acquire() as conn, conn.transaction():
        await recompute_all(conn, org["id"])
    again = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { progress } } }", {"id": tree[0]}
    )
    assert again["node"]["progress"] == payload["objective"]["progress"]


@pytest.mark.parametrize(
    "arrange", [_CLOSED, "status = 'ARCHIVED'", f"status = 'ARCHIVED', {_CLOSE}"]
)
async def test_closed_and_archived_objectives_are_read_only(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    arrange: str,
) -> None:
    created = await _create(gql, world)
    await _set_row(pool, org, created["id"], arrange)
    errors = await _refused(gql, pool, org, "updateObjective", {"id": created["id"], "title": "Ny"})
    assert errors == [(["input", "id"], "OBJECTIVE_READ_ONLY")]
    errors = await _refused(gql, pool, org, "deleteObjective", {"id": created["id"]})
    assert errors == [(["input", "id"], "OBJECTIVE_READ_ONLY")]


async def test_another_organisations_objective_is_not_found(
    gql: GraphQLClient, demo: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    theirs = (await demo.data("{ objectives(first: 1) { nodes { id } } }"))["objectives"]
    objective = theirs["nodes"][0]["id"]
    for name, input in [
        ("updateObjective", {"id": objective, "title": "Mine now"}),
        ("setObjectiveStatus", {"id": objective, "status": "ARCHIVED"}),
        ("closeObjective", {"id": objective, "outcome": "MISSED"}),
        ("reopenObjective", {"id": objective}),
        ("deleteObjective", {"id": objective}),
    ]:
        assert await _refused(gql, pool, org, name, input) == [(["input", "id"], "NOT_FOUND")]


# --- setObjectiveStatus -------------------------------------------------------------------


async def test_a_draft_is_activated_and_then_archived(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world, status="DRAFT")
    active = await _ok(gql, "setObjectiveStatus", {"id": created["id"], "status": "ACTIVE"})
    assert (active["objective"]["status"], active["objective"]["version"]) == ("ACTIVE", 2)
    archived = await _ok(
        gql, "setObjectiveStatus", {"id": created["id"], "status": "ARCHIVED", "version": 2}
    )
    assert archived["objective"]["status"] == "ARCHIVED"
    events = await _events(pool, org, created["id"])
    assert [e["type"] for e in events] == [
        "objective.created",
        "objective.status_changed",
        "objective.status_changed",
    ]
    assert (events[-1]["before"]["status"], events[-1]["after"]["status"]) == ("ACTIVE", "ARCHIVED")


async def test_an_archived_closed_objective_keeps_its_close(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    await _ok(
        gql, "closeObjective", {"id": created["id"], "outcome": "ACHIEVED", "finalScore": 0.8}
    )
    archived = await _ok(gql, "setObjectiveStatus", {"id": created["id"], "status": "ARCHIVED"})
    objective = archived["objective"]
    assert (objective["status"], objective["finalScore"], objective["outcome"]) == (
        "ARCHIVED",
        0.8,
        "ACHIEVED",
    )
    assert objective["closedAt"] is not None


@pytest.mark.parametrize(
    ("arrange", "status"),
    [
        ("status = 'ACTIVE'", "DRAFT"),
        ("status = 'ACTIVE'", "ACTIVE"),
        ("status = 'ACTIVE'", "CLOSED"),
        ("status = 'DRAFT'", "CLOSED"),
        ("status = 'DRAFT'", "DRAFT"),
        (_CLOSED, "ACTIVE"),
        (_CLOSED, "DRAFT"),
        (_CLOSED, "CLOSED"),
        ("status = 'ARCHIVED'", "ACTIVE"),
        ("status = 'ARCHIVED'", "DRAFT"),
        ("status = 'ARCHIVED'", "ARCHIVED"),
    ],
)
async def test_set_status_refuses_moves_outside_the_lifecycle(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    arrange: str,
    status: str,
) -> None:
    created = await _create(gql, world)
    await _set_row(pool, org, created["id"], arrange)
    errors = await _refused(
        gql, pool, org, "setObjectiveStatus", {"id": created["id"], "status": status}
    )
    assert errors == [(["input", "status"], "INVALID_TRANSITION")]


async def test_set_status_refuses_a_stale_version(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    errors = await _refused(
        gql, pool, org, "setObjectiveStatus",
        {"id": created["id"], "status": "ARCHIVED", "version": 5},
    )  # fmt: skip
    assert errors == [(["input", "version"], "STALE_VERSION")]


# --- closeObjective and reopenObjective ---------------------------------------------------


async def test_close_keeps_the_progress_as_final_score(
    gql: GraphQLClient, tree: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    progress = (
        await gql.data(
            "query ($id: ID!) { node(id: $id) { ... on Objective { progress } } }", {"id": tree[1]}
        )
    )["node"]["progress"]
    payload = await _ok(
        gql,
        "closeObjective",
        {"id": tree[1], "outcome": "PARTIAL", "reflection": "Vi lärde oss mycket 🎓"},
    )
    objective = payload["objective"]
    assert objective["status"] == "CLOSED"
    assert objective["finalScore"] == pytest.approx(progress)
    assert objective["outcome"] == "PARTIAL"
    assert objective["reflection"] == "Vi lärde oss mycket 🎓"
    assert objective["closedAt"] is not None
    assert objective["version"] == 2
    [event] = [e for e in await _events(pool, org, tree[1]) if e["type"] == "objective.closed"]
    assert event["before"]["status"] == "ACTIVE"
    assert event["after"]["outcome"] == "PARTIAL"
    assert Decimal(event["after"]["finalScore"]) == Decimal(str(progress))


async def test_close_with_an_override_and_without_progress(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    overridden = await _create(gql, world)
    payload = await _ok(
        gql, "closeObjective", {"id": overridden["id"], "outcome": "ACHIEVED", "finalScore": 1}
    )
    assert payload["objective"]["finalScore"] == 1.0
    # nothing to score: the final score is 0, not null
    empty = await _create(gql, world, status="DRAFT")
    payload = await _ok(gql, "closeObjective", {"id": empty["id"], "outcome": "CANCELLED"})
    assert (payload["objective"]["finalScore"], payload["objective"]["outcome"]) == (
        0.0,
        "CANCELLED",
    )
    assert payload["objective"]["reflection"] is None


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"finalScore": -0.01}, "finalScore", "OUT_OF_RANGE"),
        ({"finalScore": 1.0001}, "finalScore", "OUT_OF_RANGE"),
        ({"finalScore": 70}, "finalScore", "OUT_OF_RANGE"),
        ({"reflection": "x" * 10_001}, "reflection", "TOO_LONG"),
        ({"version": 2}, "version", "STALE_VERSION"),
        ({"id": encode_id("Objective", 987654321)}, "id", "NOT_FOUND"),
        ({"id": encode_id("Cycle", 1)}, "id", "INVALID_ID"),
    ],
)
async def test_close_refuses_bad_input_on_its_field(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    created = await _create(gql, world)
    errors = await _refused(
        gql, pool, org, "closeObjective", {"id": created["id"], "outcome": "MISSED", **change}
    )
    assert errors == [(["input", field], code)]


@pytest.mark.parametrize("arrange", [_CLOSED, "status = 'ARCHIVED'"])
async def test_only_open_objectives_can_be_closed(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    arrange: str,
) -> None:
    created = await _create(gql, world)
    await _set_row(pool, org, created["id"], arrange)
    errors = await _refused(
        gql, pool, org, "closeObjective", {"id": created["id"], "outcome": "ACHIEVED"}
    )
    assert errors == [(["input", "id"], "INVALID_TRANSITION")]


async def test_an_outcome_is_required_to_close(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # The typed schema refuses it before any use case runs: a request error, not a user error.
    created = await _create(gql, world)
    before = await _fingerprint(pool, org)
    response = await gql.post(CLOSE, {"input": {"id": created["id"]}})
    assert response.status_code == 400
    assert "outcome" in response.json()["errors"][0]["message"]
    assert await _fingerprint(pool, org) == before


async def test_reopen_clears_the_close_and_the_log_keeps_it(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    await _ok(
        gql, "closeObjective",
        {"id": created["id"], "outcome": "MISSED", "finalScore": 0.2, "reflection": "För tidigt"},
    )  # fmt: skip
    # closed is read-only, reopened is not
    await _refused(gql, pool, org, "updateObjective", {"id": created["id"], "title": "Ny"})
    reopened = (await _ok(gql, "reopenObjective", {"id": created["id"], "version": 2}))["objective"]
    assert reopened["status"] == "ACTIVE"
    assert [reopened[k] for k in ("finalScore", "outcome", "reflection", "closedAt")] == [None] * 4
    assert reopened["version"] == 3
    event = (await _events(pool, org, created["id"]))[-1]
    assert event["type"] == "objective.reopened"
    assert (event["before"]["finalScore"], event["before"]["outcome"]) == ("0.2", "MISSED")
    assert event["before"]["reflection"] == "För tidigt"
    assert event["after"]["finalScore"] is None
    await _ok(gql, "updateObjective", {"id": created["id"], "title": "Ny"})


async def test_reopen_brings_an_archived_objective_back(
    gql: GraphQLClient, world: dict[str, Any]
) -> None:
    created = await _create(gql, world, status="DRAFT")
    await _ok(gql, "setObjectiveStatus", {"id": created["id"], "status": "ARCHIVED"})
    reopened = await _ok(gql, "reopenObjective", {"id": created["id"]})
    assert reopened["objective"]["status"] == "ACTIVE"


@pytest.mark.parametrize("status", ["DRAFT", "ACTIVE"])
async def test_only_closed_or_archived_objectives_reopen(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    status: str,
) -> None:
    created = await _create(gql, world, status=status)
    errors = await _refused(gql, pool, org, "reopenObjective", {"id": created["id"]})
    assert errors == [(["input", "id"], "INVALID_TRANSITION")]


async def test_reopen_refuses_a_stale_version(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = await _create(gql, world)
    await _ok(gql, "closeObjective", {"id": created["id"], "outcome": "MISSED"})
    errors = await _refused(gql, pool, org, "reopenObjective", {"id": created["id"], "version": 1})
    assert errors == [(["input", "version"], "STALE_VERSION")]


# --- deleteObjective ----------------------------------------------------------------------


async def _count(pool: asyncpg.Pool[Any], org: dict[str, Any], table: str) -> int:
    count: int = await pool.fetchval(
        f"SELECT count(*) FROM {table} WHERE organization_id = $1",
        org["id"],
    )
    return count


async def test_delete_takes_key_results_check_ins_and_alignments_and_rescores_parents(
    gql: GraphQLClient, tree: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a parent driven by its two children
    await _ok(gql, "updateObjective", {"id": tree[0], "progressSource": "CHILDREN"})
    remaining = (
        await gql.data(
            "query ($id: ID!) { node(id: $id) { ... on Objective { progress } } }", {"id": tree[2]}
        )
    )["node"]["progress"]
    counts = {t: await _count(pool, org, t) for t in ("key_result", "check_in", "alignment")}
    # when one child is deleted
    payload = await _ok(gql, "deleteObjective", {"id": tree[1], "version": 1})
    # then its key results, their check-ins and its alignment are gone with it
    assert payload["deletedObjectiveId"] == tree[1]
    assert {t: await _count(pool, org, t) for t in counts} == {
        "key_result": counts["key_result"] - 2,
        "check_in": counts["check_in"] - 6,
        "alignment": counts["alignment"] - 1,
    }
    read = await gql.data(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Objective { progress"
        " children(first: 5) { totalCount } } } }",
        {"ids": tree[:2]},
    )
    # and the parent now scores its one remaining child
    parent, deleted = read["nodes"]
    assert deleted is None
    assert parent["children"]["totalCount"] == 1
    assert parent["progress"] == pytest.approx(remaining, abs=1e-6)
    [event] = [e for e in await _events(pool, org, tree[1]) if e["type"] == "objective.deleted"]
    assert (event["before"]["title"], event["after"]) == ("Objective 001", None)


async def test_delete_is_refused_while_children_are_aligned_under_it(
    gql: GraphQLClient, tree: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    errors = await _refused(gql, pool, org, "deleteObjective", {"id": tree[0]})
    assert errors == [(["input", "id"], "HAS_CHILDREN")]
    # once its children are gone, it goes too
    await _ok(gql, "deleteObjective", {"id": tree[1]})
    await _ok(gql, "deleteObjective", {"id": tree[2]})
    await _ok(gql, "deleteObjective", {"id": tree[0]})
    assert await _count(pool, org, "objective") == 0


@pytest.mark.parametrize(
    ("input", "field", "code"),
    [
        ({"version": 3}, "version", "STALE_VERSION"),
        ({"id": encode_id("Objective", 987654321)}, "id", "NOT_FOUND"),
        ({"id": encode_id("User", 1)}, "id", "INVALID_ID"),
        ({"id": ""}, "id", "INVALID_ID"),
    ],
)
async def test_delete_refuses_bad_input_on_its_field(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    input: dict[str, Any],
    field: str,
    code: str,
) -> None:
    created = await _create(gql, world)
    errors = await _refused(gql, pool, org, "deleteObjective", {"id": created["id"], **input})
    assert errors == [(["input", field], code)]


# --- closeCycle ---------------------------------------------------------------------------


async def test_close_cycle_settles_every_open_objective_by_the_outcome_rule(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    # given open objectives at several scores, and some that are not open
    progress = {"A": "0.7", "B": "0.699999", "C": "0.300001", "D": "0.3", "E": None, "F": "1"}
    ids = {}
    for title, value in progress.items():
        status = "DRAFT" if title == "F" else "ACTIVE"
        ids[title] = (await _create(gql, world, title=title, status=status))["id"]
        if value is not None:
            await _set_row(pool, org, ids[title], f"progress = {value}")
    closed = (await _create(gql, world, title="Closed"))["id"]
    await _ok(gql, "closeObjective", {"id": closed, "outcome": "CANCELLED", "finalScore": 0.9})
    archived = (await _create(gql, world, title="Archived"))["id"]
    await _ok(gql, "setObjectiveStatus", {"id": archived, "status": "ARCHIVED"})
    elsewhere = (await _create(gql, world, title="Elsewhere", cycleId=world["next_q1"]))["id"]
    # when the cycle is closed
    payload = await _ok(gql, "closeCycle", {"cycleId": world["q4"]})
    # then every open objective is closed with its score and the outcome it earns
    assert payload["closedObjectives"] == 6
    assert payload["cycle"]["id"] == world["q4"]
    by_title = {o["title"]: o for o in payload["cycle"]["objectives"]["nodes"]}
    assert {t: (o["status"], o["finalScore"], o["outcome"]) for t, o in by_title.items()} == {
        "A": ("CLOSED", 0.7, "ACHIEVED"),
        "B": ("CLOSED", 0.699999, "PARTIAL"),
        "C": ("CLOSED", 0.300001, "PARTIAL"),
        "D": ("CLOSED", 0.3, "MISSED"),
        "E": ("CLOSED", 0.0, "MISSED"),
        "F": ("CLOSED", 1.0, "ACHIEVED"),
        # those already settled keep how they ended
        "Closed": ("CLOSED", 0.9, "CANCELLED"),
        "Archived": ("ARCHIVED", None, None),
    }
    # with one event each
    for title in progress:
        events = await _events(pool, org, ids[title])
        assert events[-1]["type"] == "objective.closed"
        assert events[-1]["after"]["status"] == "CLOSED"
    assert (await _events(pool, org, closed))[-1]["after"]["outcome"] == "CANCELLED"
    # and another cycle's objective is untouched
    other = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { status version } } }",
        {"id": elsewhere},
    )
    assert other["node"] == {"status": "ACTIVE", "version": 1}
    # closing it again finds nothing open
    again = await _ok(gql, "closeCycle", {"cycleId": world["q4"]})
    assert again["closedObjectives"] == 0


async def test_close_cycle_is_one_transaction(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    # given two open objectives, the second of which the database will refuse to close
    first = (await _create(gql, world, title="First"))["id"]
    second = (await _create(gql, world, title="Second"))["id"]
    await pool.execute(
        "ALTER TABLE objective ADD CONSTRAINT test_refuse_second"
        f" CHECK (status <> 'CLOSED' OR id <> {decode_id_of(second, 'Objective')}) NOT VALID"
    )
    try:
        before = await _fingerprint(pool, org)
        response = await gql.post(CLOSE_CYCLE, {"input": {"cycleId": world["q4"]}})
        # then the failure is a masked server error, and the first close was rolled back
        assert response.json().get("errors")
        assert await _fingerprint(pool, org) == before
    finally:
        await pool.execute("ALTER TABLE objective DROP CONSTRAINT test_refuse_second")
    status = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { status } } }", {"id": first}
    )
    assert status["node"]["status"] == "ACTIVE"


@pytest.mark.parametrize(
    ("cycle_id", "code"),
    [
        (encode_id("Cycle", 987654321), "NOT_FOUND"),
        (encode_id("Objective", 1), "INVALID_ID"),
        ("Q3ljbGU6MA", "INVALID_ID"),
    ],
)
async def test_close_cycle_refuses_bad_input(
    gql: GraphQLClient,
    world: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    cycle_id: str,
    code: str,
) -> None:
    await _create(gql, world)
    errors = await _refused(gql, pool, org, "closeCycle", {"cycleId": cycle_id})
    assert errors == [(["input", "cycleId"], code)]
    assert (await _run(gql, "closeCycle", {"cycleId": cycle_id}))["closedObjectives"] == 0


# --- totalCount follows every change --------------------------------------------------------

_TOTALS = """query ($cycle: ID!, $statuses: [ObjectiveStatus!]) {
  objectives(filter: {cycleId: $cycle, status: $statuses}, first: 100) {
    totalCount nodes { id }
  }
  all: objectives(first: 100) { totalCount nodes { id } }
  cycle: node(id: $cycle) { ... on Cycle { objectives(first: 100) { totalCount nodes { id } } } }
}"""
_STATUS_SETS = (None, ["DRAFT"], ["ACTIVE"], ["CLOSED", "ARCHIVED"], [], ["ACTIVE", "DRAFT"])


async def _assert_totals_match_rows(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any], world: dict[str, Any]
) -> None:
    # Totals come from objective_count (alembic 0015); the rows themselves are the truth.
    for cycle in (world["q4"], world["next_q1"], world["year"]):
        for statuses in _STATUS_SETS:
            data = await gql.data(_TOTALS, {"cycle": cycle, "statuses": statuses})
            for connection in (data["objectives"], data["all"], data["cycle"]["objectives"]):
                assert connection["totalCount"] == len(connection["nodes"]), (cycle, statuses)
    kept = await pool.fetch(
        "SELECT cycle_id, status::text, n FROM objective_count"
        " WHERE organization_id = $1 AND n > 0 ORDER BY 1, 2",
        org["id"],
    )
    counted = await pool.fetch(
        "SELECT cycle_id, status::text, count(*) AS n FROM objective"
        " WHERE organization_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
        org["id"],
    )
    assert [tuple(r) for r in kept] == [tuple(r) for r in counted]


async def test_total_counts_follow_every_change(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given objectives in two cycles
    made = [await _create(gql, world, title=f"Mål {i}", status="DRAFT") for i in range(4)]
    made.append(await _create(gql, world, title="Nästa", cycleId=world["next_q1"]))
    await _assert_totals_match_rows(gql, pool, org, world)
    # when they change status, move between cycles, are closed, reopened and deleted
    steps: list[tuple[str, dict[str, Any]]] = [
        ("setObjectiveStatus", {"id": made[0]["id"], "status": "ACTIVE"}),
        ("setObjectiveStatus", {"id": made[1]["id"], "status": "ACTIVE"}),
        ("closeObjective", {"id": made[1]["id"], "outcome": "MISSED"}),
        ("updateObjective", {"id": made[2]["id"], "cycleId": world["next_q1"]}),
        ("setObjectiveStatus", {"id": made[3]["id"], "status": "ARCHIVED"}),
        ("reopenObjective", {"id": made[1]["id"]}),
        ("deleteObjective", {"id": made[0]["id"]}),
        ("closeCycle", {"cycleId": world["next_q1"]}),
    ]
    for name, input in steps:
        await _ok(gql, name, input)
        # then every total equals the rows it counts
        await _assert_totals_match_rows(gql, pool, org, world)
    # and a refused status change leaves the counts as they were
    await _refused(gql, pool, org, "setObjectiveStatus", {"id": made[3]["id"], "status": "ACTIVE"})
    await _assert_totals_match_rows(gql, pool, org, world)


async def test_total_counts_follow_statements_of_many_rows(
    gql: GraphQLClient, world: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given objectives inserted by one statement (one trigger call for all of them)
    q4 = decode_id_of(world["q4"], "Cycle")
    await pool.execute(
        "INSERT INTO objective (organization_id, cycle_id, level, title, status)"
        " SELECT $1, $2, 'COMPANY', 'Bulk ' || i, (ARRAY['DRAFT', 'ACTIVE'])[1 + i % 2]"
        "::objective_status FROM generate_series(1, 7) AS i",
        org["id"],
        q4,
    )
    await _assert_totals_match_rows(gql, pool, org, world)
    # when one statement moves several and another deletes several
    await pool.execute(
        "UPDATE objective SET status = 'ARCHIVED' WHERE organization_id = $1 AND title < 'Bulk 4'",
        org["id"],
    )
    await _assert_totals_match_rows(gql, pool, org, world)
    await pool.execute(
        "DELETE FROM objective WHERE organization_id = $1 AND title > 'Bulk 2'", org["id"]
    )
    # then the totals still equal the rows
    await _assert_totals_match_rows(gql, pool, org, world)
