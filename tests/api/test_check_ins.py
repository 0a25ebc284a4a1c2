"""createCheckIn: every rule, its bad input, and nothing half-written."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from db.ids import encode_id
from tests.arrange import objective_tree
from tests.derived import assert_matches_recomputation
from tests.graphql import GraphQLClient
from tests.statements import statements_of

CREATE = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) {
    checkIn { id value done confidence comment measuredAt author { name } }
    keyResult { id currentValue progress lastCheckIn { id } objective { progress } }
    userErrors { field message code }
  }
}"""


@pytest.fixture
async def tree(pool: asyncpg.Pool[Any], org: dict[str, Any], gql: GraphQLClient) -> dict[str, Any]:
    """One objective with two numeric key results (0 -> 100) and a check-in history."""
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
    data = await gql.data(
        "{ objectives(first: 1) { nodes { id progress keyResults(first: 5) { nodes { id currentValue } } } } }"
    )
    objective = data["objectives"]["nodes"][0]
    return {"objective": objective, "krs": [kr["id"] for kr in objective["keyResults"]["nodes"]]}


async def _counts(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> tuple[int, int]:
    return (
        await pool.fetchval("SELECT count(*) FROM check_in WHERE organization_id = $1", org["id"]),
        await pool.fetchval("SELECT count(*) FROM event WHERE organization_id = $1", org["id"]),
    )


async def _refused(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any], input: dict[str, Any]
) -> list[dict[str, Any]]:
    before = await _counts(pool, org)
    payload = (await gql.data(CREATE, {"input": input}))["createCheckIn"]
    assert payload["checkIn"] is None
    assert payload["userErrors"]
    assert await _counts(pool, org) == before, "a refused check-in leaves no trace"
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


async def test_a_check_in_moves_the_key_result_and_the_objective(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a key result at 30 of 0 -> 100
    kr = tree["krs"][0]
    # when a value of 80 is checked in
    payload = (
        await gql.data(
            CREATE,
            {
                "input": {
                    "keyResultId": kr,
                    "value": "80",
                    "confidence": "AT_RISK",
                    "comment": "Bra jobbat 🎉",
                }
            },
        )
    )["createCheckIn"]
    # then the response already shows the new value and the objective's new progress
    assert payload["userErrors"] == []
    assert payload["checkIn"]["value"] == "80"
    assert payload["checkIn"]["comment"] == "Bra jobbat 🎉"
    assert payload["checkIn"]["author"]["name"] == "Ada Admin"
    assert payload["keyResult"]["currentValue"] == "80"
    assert payload["keyResult"]["progress"] == pytest.approx(0.8)
    assert payload["keyResult"]["lastCheckIn"]["id"] == payload["checkIn"]["id"]
    assert payload["keyResult"]["objective"]["progress"] > tree["objective"]["progress"]
    # and the change is in the event log
    event = await pool.fetchrow(
        "SELECT type, subject_type, actor_user_id, after FROM event"
        " WHERE organization_id = $1 AND type = 'check_in.created' ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert (event["type"], event["subject_type"], event["actor_user_id"]) == (
        "check_in.created",
        "CheckIn",
        org["admin_id"],
    )
    assert event["after"]["value"] == "80"
    # and the objective's new progress is an event too (subscriptions and webhooks hear it)
    progressed = await pool.fetchval(
        "SELECT count(*) FROM event WHERE organization_id = $1"
        " AND type = 'objective.progress_changed'",
        org["id"],
    )
    assert progressed >= 1


async def test_a_back_dated_check_in_never_hides_a_newer_value(
    gql: GraphQLClient, tree: dict[str, Any]
) -> None:
    kr = tree["krs"][0]
    newer = {
        "keyResultId": kr,
        "value": "70",
        "confidence": "ON_TRACK",
        "measuredAt": "2026-11-20T10:00:00+00:00",
    }
    older = {**newer, "value": "5", "measuredAt": "2026-11-10T10:00:00+00:00"}
    await gql.data(CREATE, {"input": newer})
    payload = (await gql.data(CREATE, {"input": older}))["createCheckIn"]
    assert payload["userErrors"] == []
    assert payload["keyResult"]["currentValue"] == "70"
    history = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on KeyResult { checkIns(first: 10) { nodes { value measuredAt } } } } }",
        {"id": kr},
    )
    values = [c["value"] for c in history["node"]["checkIns"]["nodes"]]
    assert values[0] == "70"
    assert "5" in values


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"value": None}, ["input", "value"], "REQUIRED"),
        ({"done": True}, ["input", "done"], "WRONG_KIND"),
        ({"value": "NaN"}, ["input", "value"], "INVALID_NUMBER"),
        ({"value": "Infinity"}, ["input", "value"], "INVALID_NUMBER"),
        ({"value": "-Infinity"}, ["input", "value"], "INVALID_NUMBER"),
        ({"value": "1e400"}, ["input", "value"], "INVALID_NUMBER"),
        ({"comment": "x" * 10_001}, ["input", "comment"], "TOO_LONG"),
        (
            {"measuredAt": "2099-01-01T00:00:00+00:00"},
            ["input", "measuredAt"],
            "MEASURED_IN_FUTURE",
        ),
        (
            {"measuredAt": "2026-09-30T12:00:00+00:00"},
            ["input", "measuredAt"],
            "MEASURED_BEFORE_CYCLE",
        ),
        ({"keyResultId": encode_id("KeyResult", 987654321)}, ["input", "keyResultId"], "NOT_FOUND"),
        ({"keyResultId": encode_id("Objective", 1)}, ["input", "keyResultId"], "INVALID_ID"),
        ({"keyResultId": "garbage"}, ["input", "keyResultId"], "INVALID_ID"),
    ],
)
async def test_bad_input_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: list[str],
    code: str,
) -> None:
    input = {"keyResultId": tree["krs"][0], "value": "50", "confidence": "ON_TRACK", **change}
    errors = await _refused(gql, pool, org, input)
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in errors
    ]


async def test_several_problems_are_reported_together(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    errors = await _refused(
        gql,
        pool,
        org,
        {"keyResultId": tree["krs"][0], "done": True, "confidence": "ON_TRACK",
         "measuredAt": "2099-01-01T00:00:00+00:00"},
    )  # fmt: skip
    assert {e["code"] for e in errors} == {"REQUIRED", "WRONG_KIND", "MEASURED_IN_FUTURE"}


async def test_a_json_number_beyond_double_range_is_refused(
    gql: GraphQLClient, tree: dict[str, Any]
) -> None:
    # Written by hand: no JSON encoder emits 1e400, but clients can send it.
    variables = f'{{"input": {{"keyResultId": "{tree["krs"][0]}", "value": 1e400, "confidence": "ON_TRACK"}}}}'
    body = f'{{"query": {json.dumps(CREATE)}, "variables": {variables}}}'
    response = await gql.http.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "x-organization": gql.organization},
    )
    assert response.status_code == 200
    payload = response.json()["data"]["createCheckIn"]
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [
        (["input", "value"], "INVALID_NUMBER")
    ]


async def test_milestones_take_done_not_a_value(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    from db.ids import decode_id_of

    kr = tree["krs"][1]
    await pool.execute(
        "UPDATE key_result SET kind = 'MILESTONE', start_value = NULL, target_value = NULL"
        " WHERE organization_id = $1 AND id = $2",
        org["id"],
        decode_id_of(kr, "KeyResult"),
    )
    errors = await _refused(
        gql, pool, org, {"keyResultId": kr, "value": "3", "confidence": "ON_TRACK"}
    )
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("input", "done"), "REQUIRED"),
        (("input", "value"), "WRONG_KIND"),
    }
    payload = (
        await gql.data(
            CREATE, {"input": {"keyResultId": kr, "done": True, "confidence": "ON_TRACK"}}
        )
    )["createCheckIn"]
    assert payload["userErrors"] == []
    assert payload["checkIn"]["done"] is True
    assert payload["keyResult"]["progress"] == 1.0


@pytest.mark.parametrize("status", ["CLOSED", "ARCHIVED"])
async def test_no_check_in_on_a_closed_or_archived_objective(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    status: str,
) -> None:
    await pool.execute(
        "UPDATE objective SET status = $2::objective_status, closed_at = now(), final_score = 0.5,"
        " outcome = 'PARTIAL' WHERE organization_id = $1",
        org["id"],
        status,
    )
    errors = await _refused(
        gql, pool, org, {"keyResultId": tree["krs"][0], "value": "1", "confidence": "ON_TRACK"}
    )
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "keyResultId"], "OBJECTIVE_READ_ONLY")
    ]


async def test_another_organisations_key_result_is_not_found(
    gql: GraphQLClient, demo: GraphQLClient, tree: dict[str, Any]
) -> None:
    demo_kr = (await demo.data("{ keyResults(first: 1) { nodes { id } } }"))["keyResults"]["nodes"][
        0
    ]["id"]
    payload = (
        await gql.data(
            CREATE, {"input": {"keyResultId": demo_kr, "value": "1", "confidence": "ON_TRACK"}}
        )
    )["createCheckIn"]
    assert [e["code"] for e in payload["userErrors"]] == ["NOT_FOUND"]


W3 = (Path(__file__).parents[2] / "bench" / "workloads" / "okrql" / "w3.graphql").read_text()


async def test_a_check_in_is_six_statements_with_or_without_objectives_above(
    app: Any, gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    """The benchmark's check-in (W3): BEGIN with the tenant binding; lock key result and
    objective; append (with the event and the objective's progress inputs, locking the
    objectives it supports); write the progress; read the payload's check-in and key result
    (one statement); COMMIT."""
    async with pool.acquire() as conn, conn.transaction():
        top, below = await objective_tree(conn, org["id"], org["admin_id"], 2)
    for objective in (top, below):
        data = await gql.data(
            "query ($id: ID!) { node(id: $id) { ... on Objective {"
            " keyResults(first: 5) { nodes { id } } } } }",
            {"id": encode_id("Objective", objective)},
        )
        for kr in data["node"]["keyResults"]["nodes"]:
            variables = {
                "input": {"keyResultId": kr["id"], "value": "55", "confidence": "ON_TRACK"}
            }
            with statements_of(app) as log:
                payload = (await gql.data(W3, variables))["createCheckIn"]
                await asyncio.sleep(0)  # query loggers are called soon, not at once
            assert payload["userErrors"] == []
            assert len(log.statements) == 6, "\n".join(log.statements)


async def test_a_check_in_that_leaves_progress_as_it_is_writes_no_progress(
    app: Any, gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    """A value pushed again (an integration's schedule) or a back-dated one (a backfill)
    leaves the objective's progress as it is: five statements, no progress write, no
    `objective.progress_changed` event; a new value writes and announces it again."""
    async with pool.acquire() as conn, conn.transaction():
        [objective] = await objective_tree(conn, org["id"], org["admin_id"], 1)
    data = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective {"
        " keyResults(first: 1) { nodes { id } } } } }",
        {"id": encode_id("Objective", objective)},
    )
    kr = data["node"]["keyResults"]["nodes"][0]["id"]
    week_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=7)).isoformat()
    pushes = [
        ({"value": "42"}, 6, True),
        ({"value": "42"}, 5, False),
        ({"value": "10", "measuredAt": week_ago}, 5, False),
        ({"value": "43"}, 6, True),
    ]
    for values, statements, announced in pushes:
        variables = {"input": {"keyResultId": kr, "confidence": "ON_TRACK", **values}}
        async with pool.acquire() as conn:
            before = await _progress_events(conn, org["id"], objective)
        with statements_of(app) as log:
            payload = (await gql.data(W3, variables))["createCheckIn"]
            await asyncio.sleep(0)  # query loggers are called soon, not at once
        assert payload["userErrors"] == []
        assert len(log.statements) == statements, "\n".join(log.statements)
        async with pool.acquire() as conn:
            assert await _progress_events(conn, org["id"], objective) == before + announced
    # and what is stored is what a recomputation from scratch gives
    await assert_matches_recomputation(pool, org["id"])


async def _progress_events(conn: Any, organization_id: int, objective_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM event WHERE organization_id = $1
           AND type = 'objective.progress_changed' AND subject_id = $2""",
        organization_id,
        objective_id,
    )
    return count


async def test_a_check_in_moves_the_objectives_above_that_follow_their_children(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given three objectives in a chain, the top two driven by their children
    async with pool.acquire() as conn, conn.transaction():
        top, middle, bottom = await objective_tree(conn, org["id"], org["admin_id"], 3)
        await conn.execute(
            "DELETE FROM alignment WHERE organization_id = $1 AND child_objective_id = $2",
            org["id"],
            bottom,
        )
        await conn.execute(
            """INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id)
               VALUES ($1, $2, $3)""",
            org["id"],
            bottom,
            middle,
        )
        await conn.execute(
            """UPDATE objective SET progress_source = 'CHILDREN'
               WHERE organization_id = $1 AND id = ANY($2::bigint[])""",
            org["id"],
            [top, middle],
        )
    query = """query ($id: ID!) { node(id: $id) { ... on Objective {
        progress keyResults(first: 5) { nodes { id } } } } }"""
    node = (await gql.data(query, {"id": encode_id("Objective", bottom)}))["node"]
    # when every key result of the bottom one reaches its target
    for kr in node["keyResults"]["nodes"]:
        variables = {"input": {"keyResultId": kr["id"], "value": "100", "confidence": "ON_TRACK"}}
        assert (await gql.data(CREATE, variables))["createCheckIn"]["userErrors"] == []
    # then the bottom one is done, and so are the two above, which follow it alone
    for objective in (bottom, middle, top):
        data = await gql.data(query, {"id": encode_id("Objective", objective)})
        assert data["node"]["progress"] == 1
