"""createCycle and updateCycle: every rule, its bad input, and nothing half-written."""

from __future__ import annotations

import asyncio
from typing import Any, TypeAlias

import asyncpg
import pytest

from db.ids import encode_id
from tests.graphql import GraphQLClient

FIELDS = "id name startsOn endsOn version createdAt updatedAt parentCycle { id name }"

CREATE = f"""mutation ($input: CreateCycleInput!) {{
  createCycle(input: $input) {{
    cycle {{ {FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

UPDATE = f"""mutation ($input: UpdateCycleInput!) {{
  updateCycle(input: $input) {{
    cycle {{ {FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"


async def _create(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(CREATE, {"input": input}))["createCycle"]
    return payload


async def _created(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload = await _create(gql, **input)
    assert payload["userErrors"] == []
    cycle: dict[str, Any] = payload["cycle"]
    return cycle


async def _update(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await gql.data(UPDATE, {"input": input}))["updateCycle"]
    return payload


@pytest.fixture
async def year(gql: GraphQLClient) -> dict[str, Any]:
    """The year 2026 with its first quarter."""
    year = await _created(gql, name="2026", startsOn="2026-01-01", endsOn="2026-12-31")
    year["q1"] = await _created(
        gql, name="2026 Q1", startsOn="2026-01-01", endsOn="2026-03-31", parentCycleId=year["id"]
    )
    return year


async def _counts(pool: Pool, org: Org) -> tuple[int, int, str]:
    return (
        await pool.fetchval("SELECT count(*) FROM cycle WHERE organization_id = $1", org["id"]),
        await pool.fetchval("SELECT count(*) FROM event WHERE organization_id = $1", org["id"]),
        # Any change to any cycle row shows up in this digest.
        await pool.fetchval(
            "SELECT coalesce(string_agg(c::text, ';' ORDER BY id), '') FROM cycle c"
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
    assert payload["cycle"] is None
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


# --- createCycle ----------------------------------------------------------------------------


async def test_a_new_cycle_is_returned_and_logged(gql: GraphQLClient, pool: Pool, org: Org) -> None:
    # when a cycle is created with a name padded by spaces
    cycle = await _created(gql, name="  Hösten 2026  ", startsOn="2026-09-01", endsOn="2026-12-31")
    # then its name is trimmed and it starts at version 1, without a parent
    assert cycle["name"] == "Hösten 2026"
    assert (cycle["startsOn"], cycle["endsOn"]) == ("2026-09-01", "2026-12-31")
    assert cycle["version"] == 1
    assert cycle["parentCycle"] is None
    # and the creation is in the event log
    event = await _last_event(pool, org)
    assert (event["type"], event["subject_type"], event["actor_user_id"]) == (
        "cycle.created",
        "Cycle",
        org["admin_id"],
    )
    assert event["before"] is None
    assert event["after"] == {
        "name": "Hösten 2026",
        "startsOn": "2026-09-01",
        "endsOn": "2026-12-31",
        "parentCycleId": None,
        "version": 1,
    }


@pytest.mark.parametrize(
    "name", ["Kwartaal één — Q1 2026", "Första kvartalet åäö ÅÄÖ", "🚀 Q1 🎯", "İstanbul ß ﬁ 中文"]
)
async def test_names_keep_full_unicode(gql: GraphQLClient, name: str) -> None:
    cycle = await _created(gql, name=name, startsOn="2026-01-01", endsOn="2026-03-31")
    assert cycle["name"] == name
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Cycle { name } } }", {"id": cycle["id"]}
    )
    assert read["node"]["name"] == name


async def test_a_quarter_nests_in_its_year(gql: GraphQLClient, year: dict[str, Any]) -> None:
    q1 = year["q1"]
    assert q1["parentCycle"] == {"id": year["id"], "name": "2026"}
    children = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Cycle { childCycles(first: 5) { nodes { id } } } } }",
        {"id": year["id"]},
    )
    assert children["node"]["childCycles"]["nodes"] == [{"id": q1["id"]}]
    # and a quarter may span its whole year, both ends included
    await _created(
        gql,
        name="All of 2026",
        startsOn="2026-01-01",
        endsOn="2026-12-31",
        parentCycleId=year["id"],
    )


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": "   "}, [(["input", "name"], "REQUIRED")]),
        ({"name": "x" * 201}, [(["input", "name"], "TOO_LONG")]),
        ({"endsOn": "2026-04-01"}, [(["input", "endsOn"], "INVALID_DATE_RANGE")]),
        ({"endsOn": "2026-03-31"}, [(["input", "endsOn"], "INVALID_DATE_RANGE")]),
        ({"name": "2026 Q1"}, [(["input", "name"], "DUPLICATE_NAME")]),
        # the name is compared after trimming
        ({"name": " 2026 Q1 "}, [(["input", "name"], "DUPLICATE_NAME")]),
        (
            {"parentCycleId": encode_id("Cycle", 987654321)},
            [(["input", "parentCycleId"], "NOT_FOUND")],
        ),
        ({"parentCycleId": encode_id("Team", 1)}, [(["input", "parentCycleId"], "INVALID_ID")]),
        ({"parentCycleId": "garbage"}, [(["input", "parentCycleId"], "INVALID_ID")]),
        (
            {"parentCycleId": "year", "startsOn": "2025-12-31"},
            [(["input", "startsOn"], "OUT_OF_RANGE")],
        ),
        (
            {"parentCycleId": "year", "startsOn": "2026-12-01", "endsOn": "2027-01-01"},
            [(["input", "endsOn"], "OUT_OF_RANGE")],
        ),
        (
            {"parentCycleId": "year", "startsOn": "2025-01-01", "endsOn": "2027-12-31"},
            [(["input", "startsOn"], "OUT_OF_RANGE"), (["input", "endsOn"], "OUT_OF_RANGE")],
        ),
        # several broken rules are reported together
        (
            {"name": "2026 Q1", "endsOn": "2026-01-01", "parentCycleId": "year"},
            [(["input", "endsOn"], "INVALID_DATE_RANGE"), (["input", "name"], "DUPLICATE_NAME")],
        ),
    ],
)
async def test_bad_input_to_create_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    year: dict[str, Any],
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    input = {"name": "Q2", "startsOn": "2026-04-01", "endsOn": "2026-06-30", **change}
    if input.get("parentCycleId") == "year":
        input["parentCycleId"] = year["id"]
    assert await _refused(gql, pool, org, CREATE, input) == errors


async def test_another_organisations_cycle_is_no_parent(
    gql: GraphQLClient, demo: GraphQLClient, pool: Pool, org: Org
) -> None:
    demo_cycle = (await demo.data("{ cycles(first: 1) { nodes { id } } }"))["cycles"]["nodes"][0]
    errors = await _refused(
        gql,
        pool,
        org,
        CREATE,
        {"name": "Q", "startsOn": "2026-01-01", "endsOn": "2026-02-01", "parentCycleId": demo_cycle["id"]},
    )  # fmt: skip
    assert errors == [(["input", "parentCycleId"], "NOT_FOUND")]


async def test_names_are_unique_per_organisation_not_globally(
    gql: GraphQLClient, demo: GraphQLClient
) -> None:
    demo_name = (await demo.data("{ cycles(first: 1) { nodes { name } } }"))["cycles"]["nodes"][0]
    await _created(gql, name=demo_name["name"], startsOn="2026-01-01", endsOn="2026-02-01")


async def test_concurrent_creates_with_one_name_make_one_cycle(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    # when two requests create a cycle of the same name at the same time
    input = {"name": "2027", "startsOn": "2027-01-01", "endsOn": "2027-12-31"}
    payloads = await asyncio.gather(*(_create(gql, **input) for _ in range(2)))
    # then exactly one succeeds and the other is told the name is taken
    assert sorted(p["cycle"] is None for p in payloads) == [False, True]
    (refused,) = [p for p in payloads if p["cycle"] is None]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "name"], "DUPLICATE_NAME")
    ]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM cycle WHERE organization_id = $1 AND name = '2027'", org["id"]
        )
        == 1
    )


async def test_the_unique_constraint_is_the_last_word_on_names(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a name check that misses the other request's name (as under a race)
    async def never_taken(*args: Any, **kwargs: Any) -> bool:
        return False

    monkeypatch.setattr("services.cycles.db.name_taken", never_taken)
    # then the database's constraint still refuses it, as a user error, for creates and updates
    create = {"name": "2026", "startsOn": "2027-01-01", "endsOn": "2027-12-31"}
    assert await _refused(gql, pool, org, CREATE, create) == [(["input", "name"], "DUPLICATE_NAME")]
    update = {"id": year["q1"]["id"], "name": "2026"}
    assert await _refused(gql, pool, org, UPDATE, update) == [(["input", "name"], "DUPLICATE_NAME")]


# --- updateCycle ----------------------------------------------------------------------------


async def test_an_update_changes_only_the_fields_given(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any]
) -> None:
    q1 = year["q1"]
    # when only the name is given
    payload = await _update(gql, id=q1["id"], name="Kwartaal 1 ✨")
    # then the name changes, the dates and the parent stay, and the version moves on
    assert payload["userErrors"] == []
    cycle = payload["cycle"]
    assert cycle["name"] == "Kwartaal 1 ✨"
    assert (cycle["startsOn"], cycle["endsOn"]) == (q1["startsOn"], q1["endsOn"])
    assert cycle["parentCycle"] == {"id": year["id"], "name": "2026"}
    assert cycle["version"] == q1["version"] + 1
    assert cycle["updatedAt"] >= q1["updatedAt"]
    assert cycle["createdAt"] == q1["createdAt"]
    # and the log has the cycle before and after
    event = await _last_event(pool, org)
    assert event["type"] == "cycle.updated"
    assert event["before"]["name"] == "2026 Q1"
    assert event["after"]["name"] == "Kwartaal 1 ✨"
    assert event["after"]["version"] == event["before"]["version"] + 1


async def test_dates_move_within_the_parent(gql: GraphQLClient, year: dict[str, Any]) -> None:
    payload = await _update(gql, id=year["q1"]["id"], startsOn="2026-02-01", endsOn="2026-04-30")
    assert payload["userErrors"] == []
    assert (payload["cycle"]["startsOn"], payload["cycle"]["endsOn"]) == (
        "2026-02-01",
        "2026-04-30",
    )


async def test_an_explicit_null_detaches_from_the_parent_and_absence_keeps_it(
    gql: GraphQLClient, year: dict[str, Any]
) -> None:
    q1 = year["q1"]
    kept = await _update(gql, id=q1["id"], endsOn="2026-03-30")
    assert kept["cycle"]["parentCycle"]["id"] == year["id"]
    detached = await _update(gql, id=q1["id"], parentCycleId=None)
    assert detached["userErrors"] == []
    assert detached["cycle"]["parentCycle"] is None
    # and a detached cycle may reach outside its former year
    moved = await _update(gql, id=q1["id"], startsOn="2025-12-01")
    assert moved["userErrors"] == []
    # and moves back under a year only if it fits
    again = await _update(gql, id=q1["id"], startsOn="2026-01-01", parentCycleId=year["id"])
    assert again["userErrors"] == []
    assert again["cycle"]["parentCycle"]["id"] == year["id"]


async def test_an_update_that_changes_nothing_writes_nothing(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any]
) -> None:
    q1 = year["q1"]
    before = await _counts(pool, org)
    payload = await _update(
        gql, id=q1["id"], name=" 2026 Q1 ", startsOn="2026-01-01", parentCycleId=year["id"]
    )
    assert payload["userErrors"] == []
    assert payload["cycle"]["version"] == q1["version"]
    assert await _counts(pool, org) == before


async def test_the_version_guards_against_lost_edits(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any]
) -> None:
    q1 = year["q1"]
    # given someone renamed the cycle after we loaded version 1
    first = await _update(gql, id=q1["id"], name="Q1", version=1)
    assert first["userErrors"] == []
    assert first["cycle"]["version"] == 2
    # then our change based on version 1 is refused, and nothing of it is written
    errors = await _refused(gql, pool, org, UPDATE, {"id": q1["id"], "name": "Ours", "version": 1})
    assert errors == [(["input", "version"], "STALE_VERSION")]
    # and a change based on the current version goes through
    assert (await _update(gql, id=q1["id"], name="Ours", version=2))["userErrors"] == []


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"name": None}, [(["input", "name"], "REQUIRED")]),
        ({"startsOn": None}, [(["input", "startsOn"], "REQUIRED")]),
        ({"endsOn": None}, [(["input", "endsOn"], "REQUIRED")]),
        ({"name": ""}, [(["input", "name"], "REQUIRED")]),
        ({"name": "x" * 201}, [(["input", "name"], "TOO_LONG")]),
        ({"name": "2026"}, [(["input", "name"], "DUPLICATE_NAME")]),
        # only one date given, the other kept: the range is still checked, on endsOn
        ({"startsOn": "2026-03-31"}, [(["input", "endsOn"], "INVALID_DATE_RANGE")]),
        ({"endsOn": "2026-01-01"}, [(["input", "endsOn"], "INVALID_DATE_RANGE")]),
        ({"startsOn": "2025-12-31"}, [(["input", "startsOn"], "OUT_OF_RANGE")]),
        ({"endsOn": "2027-01-01"}, [(["input", "endsOn"], "OUT_OF_RANGE")]),
        ({"id": encode_id("Cycle", 987654321)}, [(["input", "id"], "NOT_FOUND")]),
        ({"id": encode_id("Team", 1)}, [(["input", "id"], "INVALID_ID")]),
        (
            {"parentCycleId": encode_id("Cycle", 987654321)},
            [(["input", "parentCycleId"], "NOT_FOUND")],
        ),
        ({"parentCycleId": "nonsense"}, [(["input", "parentCycleId"], "INVALID_ID")]),
        ({"parentCycleId": "self"}, [(["input", "parentCycleId"], "INVALID")]),
        ({"version": 7}, [(["input", "version"], "STALE_VERSION")]),
    ],
)
async def test_bad_input_to_update_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    pool: Pool,
    org: Org,
    year: dict[str, Any],
    change: dict[str, Any],
    errors: list[tuple[list[str], str]],
) -> None:
    input = {"id": year["q1"]["id"], **change}
    if input.get("parentCycleId") == "self":
        input["parentCycleId"] = input["id"]
    assert await _refused(gql, pool, org, UPDATE, input) == errors


async def test_a_cycle_cannot_move_under_its_own_descendant(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any]
) -> None:
    # given 2026 > Q1 > January
    january = await _created(
        gql,
        name="January",
        startsOn="2026-01-01",
        endsOn="2026-01-31",
        parentCycleId=year["q1"]["id"],
    )
    # then the year can move under neither its quarter nor its month
    for descendant in (year["q1"], january):
        errors = await _refused(
            gql, pool, org, UPDATE, {"id": year["id"], "parentCycleId": descendant["id"]}
        )
        assert errors == [(["input", "parentCycleId"], "INVALID")]


async def test_a_parent_keeps_holding_its_children(
    gql: GraphQLClient, pool: Pool, org: Org, year: dict[str, Any]
) -> None:
    await _created(
        gql, name="2026 Q4", startsOn="2026-10-01", endsOn="2026-12-31", parentCycleId=year["id"]
    )
    # when the year would shrink off its first and last quarters
    errors = await _refused(
        gql, pool, org, UPDATE, {"id": year["id"], "startsOn": "2026-02-01", "endsOn": "2026-11-30"}
    )
    # then both dates are refused
    assert errors == [
        (["input", "startsOn"], "OUT_OF_RANGE"),
        (["input", "endsOn"], "OUT_OF_RANGE"),
    ]
    # while growing the year is fine
    grown = await _update(gql, id=year["id"], startsOn="2025-12-01")
    assert grown["userErrors"] == []


async def test_another_organisations_cycle_cannot_be_updated(
    gql: GraphQLClient, demo: GraphQLClient, pool: Pool
) -> None:
    demo_cycle = (await demo.data("{ cycles(first: 1) { nodes { id name version } } }"))["cycles"][
        "nodes"
    ][0]
    payload = await _update(gql, id=demo_cycle["id"], name="Taken over")
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "id"], "NOT_FOUND")
    ]
    again = (await demo.data("{ cycles(first: 1) { nodes { id name version } } }"))["cycles"][
        "nodes"
    ][0]
    assert again == demo_cycle


async def test_concurrent_opposite_moves_never_make_a_loop(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    # given two unrelated cycles with the same dates
    a = await _created(gql, name="A", startsOn="2026-01-01", endsOn="2026-12-31")
    b = await _created(gql, name="B", startsOn="2026-01-01", endsOn="2026-12-31")
    # when A moves under B and B under A at the same time
    payloads = await asyncio.gather(
        _update(gql, id=a["id"], parentCycleId=b["id"]),
        _update(gql, id=b["id"], parentCycleId=a["id"]),
    )
    # then one move wins and the other is refused as a loop
    assert sorted(p["cycle"] is None for p in payloads) == [False, True]
    (refused,) = [p for p in payloads if p["cycle"] is None]
    assert [(e["field"], e["code"]) for e in refused["userErrors"]] == [
        (["input", "parentCycleId"], "INVALID")
    ]
    parents = await pool.fetch(
        "SELECT parent_cycle_id FROM cycle WHERE organization_id = $1 AND name IN ('A', 'B')",
        org["id"],
    )
    assert sorted(p["parent_cycle_id"] is None for p in parents) == [False, True]


async def test_concurrent_renames_to_one_name_leave_one_cycle_with_it(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    a = await _created(gql, name="A", startsOn="2026-01-01", endsOn="2026-06-30")
    b = await _created(gql, name="B", startsOn="2026-07-01", endsOn="2026-12-31")
    payloads = await asyncio.gather(
        _update(gql, id=a["id"], name="H"), _update(gql, id=b["id"], name="H")
    )
    codes = sorted(e["code"] for p in payloads for e in p["userErrors"])
    assert codes == ["DUPLICATE_NAME"]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM cycle WHERE organization_id = $1 AND name = 'H'", org["id"]
        )
        == 1
    )


async def test_cycles_are_readable_through_both_executors(
    gql: GraphQLClient, year: dict[str, Any]
) -> None:
    # The test client compares the planner with the standard executor on every query.
    data = await gql.data(
        "{ cycles(first: 5) { nodes { name version updatedAt parentCycle { name version } } } }"
    )
    assert [c["name"] for c in data["cycles"]["nodes"]] == ["2026", "2026 Q1"]


async def test_the_standard_executor_runs_cycle_mutations_too(gql: GraphQLClient) -> None:
    # Mutations skip the client's comparison (they write); run them through the oracle by hand.
    input = {"name": "Oracle", "startsOn": "2026-01-01", "endsOn": "2026-06-30"}
    created = (await gql.post(CREATE, {"input": input}, standard=True)).json()["data"]
    cycle = created["createCycle"]["cycle"]
    assert cycle["name"] == "Oracle"
    update = {"id": cycle["id"], "parentCycleId": cycle["id"]}
    refused = (await gql.post(UPDATE, {"input": update}, standard=True)).json()["data"]
    assert refused["updateCycle"] == {
        "cycle": None,
        "userErrors": [
            {
                "field": ["input", "parentCycleId"],
                "message": "A cycle cannot be part of itself or of one of its own sub-cycles.",
                "code": "INVALID",
            }
        ],
    }
