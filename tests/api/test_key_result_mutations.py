"""createKeyResult, updateKeyResult, deleteKeyResult: every rule, its bad input, and nothing
half-written."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import asyncpg
import pytest

from db.ids import decode_id_of, encode_id
from domain.check_ins import add_months
from tests.arrange import objective_tree
from tests.derived import assert_matches_recomputation
from tests.graphql import GraphQLClient

KR_FIELDS = """id title description kind type unit currency unitLabel startValue targetValue
  thresholdDirection direction weight cadence dataSource externalId currentValue progress score
  nextCheckInDue version createdAt updatedAt owner { name } objective { id progress }"""

CREATE = f"""mutation ($input: CreateKeyResultInput!) {{
  createKeyResult(input: $input) {{
    keyResult {{ {KR_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

UPDATE = f"""mutation ($input: UpdateKeyResultInput!) {{
  updateKeyResult(input: $input) {{
    keyResult {{ {KR_FIELDS} }}
    userErrors {{ field message code }}
  }}
}}"""

DELETE = """mutation ($input: DeleteKeyResultInput!) {
  deleteKeyResult(input: $input) {
    deletedKeyResultId
    objective { id progress keyResults(first: 10) { totalCount nodes { id } } }
    userErrors { field message code }
  }
}"""

KEY_RESULTS_IN_ORDER = """query ($id: ID!) { node(id: $id) { ... on Objective {
  keyResults(first: 20) { nodes { id title } } } } }"""


@pytest.fixture
async def tree(pool: asyncpg.Pool[Any], org: dict[str, Any], gql: GraphQLClient) -> dict[str, Any]:
    """One objective (Q4 2026) with two numeric key results (0 -> 100) and check-ins."""
    async with pool.acquire() as conn, conn.transaction():
        [objective_id] = await objective_tree(conn, org["id"], org["admin_id"], 1)
    data = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { id progress"
        " keyResults(first: 5) { nodes { id version } } } } }",
        {"id": encode_id("Objective", objective_id)},
    )
    objective = data["node"]
    return {
        "objective": objective["id"],
        "objective_id": objective_id,
        "progress": objective["progress"],
        "krs": [kr["id"] for kr in objective["keyResults"]["nodes"]],
    }


def _numeric(tree: dict[str, Any], **change: Any) -> dict[str, Any]:
    return {
        "objectiveId": tree["objective"],
        "title": "Leads from 250 to 350",
        "kind": "NUMERIC",
        "startValue": "250",
        "targetValue": "350",
        **change,
    }


async def _state(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> list[Any]:
    """Everything a refused write must leave as it was: the organisation's key results (all
    columns, versions included), check-ins, alignments, objectives' progress and events."""
    return [
        [
            tuple(r)
            for r in await pool.fetch(
                f"SELECT * FROM {table} WHERE organization_id = $1 ORDER BY id", org["id"]
            )
        ]
        for table in ("key_result", "check_in", "alignment", "objective", "event")
    ]


async def _refused(
    gql: GraphQLClient,
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    document: str,
    input: dict[str, Any],
) -> list[dict[str, Any]]:
    before = await _state(pool, org)
    response = await gql.post(document, {"input": input})
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    [payload] = body["data"].values()
    assert payload.get("keyResult") is None
    assert payload.get("deletedKeyResultId") is None
    assert payload["userErrors"]
    assert await _state(pool, org) == before, "a refused write leaves no trace"
    errors: list[dict[str, Any]] = payload["userErrors"]
    return errors


def _codes(errors: list[dict[str, Any]]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"]), e["code"]) for e in errors]


# --- createKeyResult --------------------------------------------------------------------


async def test_a_numeric_key_result_joins_its_objective(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an objective whose two key results stand at about 30%
    # when a third, decreasing key result is added
    payload = (
        await gql.data(
            CREATE,
            {
                "input": _numeric(
                    tree,
                    title="  Kostnad per lead från 1300 kr till 1170 kr  ",
                    description="Sänk kostnaden 💸",
                    type="ACTIVITY",
                    unit="CURRENCY",
                    currency="SEK",
                    startValue="1300",
                    targetValue="1170.50",
                    weight="2.5",
                    cadence="MONTHLY",
                    dataSource="CRM",
                    externalId="crm-42",
                )
            },
        )
    )["createKeyResult"]
    # then it is stored as given (title trimmed, exact decimals) and the objective counts it
    assert payload["userErrors"] == []
    kr = payload["keyResult"]
    assert kr["title"] == "Kostnad per lead från 1300 kr till 1170 kr"
    assert (kr["description"], kr["kind"], kr["type"], kr["unit"], kr["currency"]) == (
        "Sänk kostnaden 💸",
        "NUMERIC",
        "ACTIVITY",
        "CURRENCY",
        "SEK",
    )
    assert (kr["startValue"], kr["targetValue"], kr["weight"]) == ("1300", "1170.50", "2.5")
    assert kr["direction"] == "DECREASE"
    assert (kr["cadence"], kr["dataSource"], kr["externalId"]) == ("MONTHLY", "CRM", "crm-42")
    assert kr["owner"]["name"] == "Ada Admin"
    # not measured yet: the current value is the start
    assert (kr["currentValue"], kr["progress"], kr["version"]) == ("1300", 0.0, 1)
    created = dt.datetime.fromisoformat(kr["createdAt"])
    due = dt.datetime.fromisoformat(kr["nextCheckInDue"])
    assert due == add_months(created, 1)  # MONTHLY, counted from creation
    # a new KR at its start weighs the objective down: weight 2.5 of 4.5 scores 0
    assert kr["objective"]["progress"] == pytest.approx(tree["progress"] * 2 / 4.5, abs=1e-6)
    # it goes last, and the stored due time is what the API derives
    order = await gql.data(KEY_RESULTS_IN_ORDER, {"id": tree["objective"]})
    assert [n["id"] for n in order["node"]["keyResults"]["nodes"]] == [*tree["krs"], kr["id"]]
    stored_due = await pool.fetchval(
        "SELECT next_check_in_due FROM key_result WHERE organization_id = $1 AND id = $2",
        org["id"],
        decode_id_of(kr["id"], "KeyResult"),
    )
    assert stored_due == due
    event = await pool.fetchrow(
        "SELECT type, subject_type, subject_id, actor_user_id, before, after FROM event"
        " WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert (event["type"], event["subject_type"], event["actor_user_id"]) == (
        "key_result.created",
        "KeyResult",
        org["admin_id"],
    )
    assert event["subject_id"] == decode_id_of(kr["id"], "KeyResult")
    assert event["before"] is None
    assert event["after"]["targetValue"] == "1170.50"
    # references are global ids, as in every answer (migration 0021)
    assert (event["after"]["objectiveId"], event["after"]["version"]) == (tree["objective"], 1)
    await assert_matches_recomputation(pool, org["id"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"kind": "THRESHOLD", "startValue": None, "targetValue": "95",
             "thresholdDirection": "AT_LEAST", "unit": "PERCENT"},
            {"kind": "THRESHOLD", "thresholdDirection": "AT_LEAST", "targetValue": "95",
             "startValue": None, "unit": "PERCENT", "direction": None},
        ),
        (
            {"kind": "MILESTONE", "startValue": None, "targetValue": None,
             "title": "Genomför en innehållsrevision ✅"},
            {"kind": "MILESTONE", "startValue": None, "targetValue": None,
             "title": "Genomför en innehållsrevision ✅"},
        ),
        (
            {"unit": "CUSTOM", "unitLabel": "  webinardeelnemers  ",
             "title": "Organiseer webinars met 300 deelnemers 👩‍💻"},
            {"unit": "CUSTOM", "unitLabel": "webinardeelnemers", "currency": None,
             "title": "Organiseer webinars met 300 deelnemers 👩‍💻"},
        ),
        ({"startValue": "-5", "targetValue": "-1.25"}, {"direction": "INCREASE"}),
    ],
)  # fmt: skip
async def test_every_kind_and_unit_round_trips(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    expected: dict[str, Any],
) -> None:
    payload = (await gql.data(CREATE, {"input": _numeric(tree, **change)}))["createKeyResult"]
    assert payload["userErrors"] == []
    kr = payload["keyResult"]
    assert {k: kr[k] for k in expected} == expected
    # and the read path agrees with the payload
    read = await gql.data(
        f"query ($id: ID!) {{ node(id: $id) {{ ... on KeyResult {{ {KR_FIELDS} }} }} }}",
        {"id": kr["id"]},
    )
    assert read["node"] == kr
    await assert_matches_recomputation(pool, org["id"])


async def test_an_explicit_position_and_owner(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    from db.organizations import add_member

    async with pool.acquire() as conn:
        member = await add_member(
            conn, org["id"], "Sven Säljare", f"sven+{org['slug']}@test.example", "MEMBER"
        )
    payload = (
        await gql.data(
            CREATE,
            {"input": _numeric(tree, position=0, ownerId=encode_id("User", member), title="Först")},
        )
    )["createKeyResult"]
    assert payload["userErrors"] == []
    assert payload["keyResult"]["owner"]["name"] == "Sven Säljare"
    order = await gql.data(KEY_RESULTS_IN_ORDER, {"id": tree["objective"]})
    # position 0 ties with the first key result (position 0); ties keep creation (id) order
    assert [n["title"] for n in order["node"]["keyResults"]["nodes"]] == [
        "Key result 0.0",
        "Först",
        "Key result 0.1",
    ]


NOT_A_NUMBER = ["NaN", "Infinity", "-Infinity", "1e400"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"targetValue": "250"}, "targetValue", "TARGET_EQUALS_START"),
        ({"targetValue": "250.000"}, "targetValue", "TARGET_EQUALS_START"),
        ({"weight": "0"}, "weight", "NOT_POSITIVE"),
        ({"weight": 0}, "weight", "NOT_POSITIVE"),
        ({"weight": "-1"}, "weight", "NOT_POSITIVE"),
        ({"weight": "1000.01"}, "weight", "OUT_OF_RANGE"),
        *[({"startValue": v}, "startValue", "INVALID_NUMBER") for v in NOT_A_NUMBER],
        *[({"targetValue": v}, "targetValue", "INVALID_NUMBER") for v in NOT_A_NUMBER],
        *[({"weight": v}, "weight", "INVALID_NUMBER") for v in NOT_A_NUMBER],
        ({"startValue": None}, "startValue", "REQUIRED"),
        ({"targetValue": None}, "targetValue", "REQUIRED"),
        ({"thresholdDirection": "AT_MOST"}, "thresholdDirection", "WRONG_KIND"),
        ({"kind": "MILESTONE", "targetValue": None}, "startValue", "WRONG_KIND"),
        ({"kind": "MILESTONE", "startValue": None}, "targetValue", "WRONG_KIND"),
        ({"kind": "MILESTONE", "startValue": None, "targetValue": None,
          "thresholdDirection": "AT_LEAST"}, "thresholdDirection", "WRONG_KIND"),
        ({"kind": "THRESHOLD", "startValue": None}, "thresholdDirection", "REQUIRED"),
        ({"kind": "THRESHOLD", "startValue": None, "targetValue": None,
          "thresholdDirection": "AT_LEAST"}, "targetValue", "REQUIRED"),
        ({"kind": "THRESHOLD", "thresholdDirection": "AT_LEAST"}, "startValue", "WRONG_KIND"),
        ({"unit": "CURRENCY"}, "currency", "REQUIRED"),
        ({"unit": "CURRENCY", "currency": "sek"}, "currency", "INVALID"),
        ({"unit": "CURRENCY", "currency": "ABC"}, "currency", "INVALID"),
        ({"unit": "CURRENCY", "currency": "SEKK"}, "currency", "INVALID"),
        ({"currency": "EUR"}, "currency", "WRONG_KIND"),
        ({"unit": "CUSTOM"}, "unitLabel", "REQUIRED"),
        ({"unit": "CUSTOM", "unitLabel": "   "}, "unitLabel", "REQUIRED"),
        ({"unit": "CUSTOM", "unitLabel": "x" * 41}, "unitLabel", "TOO_LONG"),
        ({"unitLabel": "leads"}, "unitLabel", "WRONG_KIND"),
        ({"title": "   "}, "title", "REQUIRED"),
        ({"title": "x" * 201}, "title", "TOO_LONG"),
        ({"description": "x" * 10_001}, "description", "TOO_LONG"),
        ({"dataSource": "x" * 501}, "dataSource", "TOO_LONG"),
        ({"externalId": "x" * 201}, "externalId", "TOO_LONG"),
        ({"position": -1}, "position", "OUT_OF_RANGE"),
        ({"objectiveId": encode_id("Objective", 987654321)}, "objectiveId", "NOT_FOUND"),
        ({"objectiveId": encode_id("KeyResult", 1)}, "objectiveId", "INVALID_ID"),
        ({"objectiveId": "garbage"}, "objectiveId", "INVALID_ID"),
        ({"ownerId": encode_id("User", 987654321)}, "ownerId", "NOT_FOUND"),
        ({"ownerId": encode_id("Team", 1)}, "ownerId", "INVALID_ID"),
    ],
)  # fmt: skip
async def test_bad_input_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    errors = await _refused(gql, pool, org, CREATE, _numeric(tree, **change))
    assert (("input", field), code) in _codes(errors)


async def test_several_problems_are_reported_together(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    errors = await _refused(
        gql, pool, org, CREATE,
        _numeric(tree, kind="MILESTONE", unit="CUSTOM", ownerId=encode_id("User", 987654321)),
    )  # fmt: skip
    assert sorted(_codes(errors)) == [
        (("input", "ownerId"), "NOT_FOUND"),
        (("input", "startValue"), "WRONG_KIND"),
        (("input", "targetValue"), "WRONG_KIND"),
        (("input", "unitLabel"), "REQUIRED"),
    ]


async def test_a_json_number_beyond_double_range_is_refused(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # Written by hand: no JSON encoder emits 1e400, but clients can send it.
    before = await _state(pool, org)
    variables = (
        f'{{"input": {{"objectiveId": "{tree["objective"]}", "title": "t", "kind": "NUMERIC",'
        ' "startValue": 0, "targetValue": 1e400}}'
    )
    body = f'{{"query": {json.dumps(CREATE)}, "variables": {variables}}}'
    response = await gql.http.post(
        "/graphql",
        content=body,
        headers={"content-type": "application/json", "x-organization": gql.organization},
    )
    assert response.status_code == 200
    payload = response.json()["data"]["createKeyResult"]
    assert _codes(payload["userErrors"]) == [(("input", "targetValue"), "INVALID_NUMBER")]
    assert await _state(pool, org) == before


@pytest.mark.parametrize("status", ["CLOSED", "ARCHIVED"])
async def test_no_key_result_on_a_closed_or_archived_objective(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    status: str,
) -> None:
    await _close(pool, org, status)
    errors = await _refused(gql, pool, org, CREATE, _numeric(tree))
    assert _codes(errors) == [(("input", "objectiveId"), "OBJECTIVE_READ_ONLY")]


async def _close(pool: asyncpg.Pool[Any], org: dict[str, Any], status: str) -> None:
    await pool.execute(
        "UPDATE objective SET status = $2::objective_status, closed_at = now(), final_score = 0.5,"
        " outcome = 'PARTIAL' WHERE organization_id = $1",
        org["id"],
        status,
    )


async def test_another_organisations_objective_and_member_are_not_found(
    gql: GraphQLClient,
    demo: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    demo_data = await demo.data(
        "{ objectives(first: 1) { nodes { id } } users(first: 1) { nodes { id } } }"
    )
    demo_objective = demo_data["objectives"]["nodes"][0]["id"]
    demo_user = demo_data["users"]["nodes"][0]["id"]
    errors = await _refused(gql, pool, org, CREATE, _numeric(tree, objectiveId=demo_objective))
    assert _codes(errors) == [(("input", "objectiveId"), "NOT_FOUND")]
    errors = await _refused(gql, pool, org, CREATE, _numeric(tree, ownerId=demo_user))
    assert _codes(errors) == [(("input", "ownerId"), "NOT_FOUND")]


async def test_external_ids_are_unique_in_the_organisation(
    gql: GraphQLClient,
    demo: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    first = (await gql.data(CREATE, {"input": _numeric(tree, externalId="hubspot-7")}))[
        "createKeyResult"
    ]
    assert first["userErrors"] == []
    errors = await _refused(gql, pool, org, CREATE, _numeric(tree, externalId=" hubspot-7 "))
    assert _codes(errors) == [(("input", "externalId"), "DUPLICATE_EXTERNAL_ID")]
    # another key result may take it over once it is free
    await gql.data(UPDATE, {"input": {"id": first["keyResult"]["id"], "externalId": None}})
    again = (await gql.data(CREATE, {"input": _numeric(tree, externalId="hubspot-7")}))[
        "createKeyResult"
    ]
    assert again["userErrors"] == []


async def test_concurrent_creates_with_one_external_id_store_one(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    before = await pool.fetchval(
        "SELECT count(*) FROM key_result WHERE organization_id = $1", org["id"]
    )
    responses = await asyncio.gather(
        *(gql.post(CREATE, {"input": _numeric(tree, externalId="race")}) for _ in range(4))
    )
    payloads = [r.json()["data"]["createKeyResult"] for r in responses]
    assert [r.status_code for r in responses] == [200] * 4
    assert sum(1 for p in payloads if p["userErrors"] == []) == 1
    assert (
        sorted(_codes(p["userErrors"]) for p in payloads if p["userErrors"])
        == [[(("input", "externalId"), "DUPLICATE_EXTERNAL_ID")]] * 3
    )
    after = await pool.fetchval(
        "SELECT count(*) FROM key_result WHERE organization_id = $1", org["id"]
    )
    assert after == before + 1


# --- updateKeyResult --------------------------------------------------------------------


async def test_an_update_changes_only_what_it_names(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    created = (
        await gql.data(
            CREATE, {"input": _numeric(tree, description="Från seed 003", dataSource="CRM")}
        )
    )["createKeyResult"]["keyResult"]
    payload = (
        await gql.data(
            UPDATE,
            {
                "input": {
                    "id": created["id"],
                    "version": 1,
                    "title": " Leads van 250 naar 400 🚀 ",
                    "description": None,
                    "targetValue": "400",
                }
            },
        )
    )["updateKeyResult"]
    assert payload["userErrors"] == []
    kr = payload["keyResult"]
    assert (kr["title"], kr["description"], kr["targetValue"]) == (
        "Leads van 250 naar 400 🚀",
        None,
        "400",
    )
    unchanged = {k: v for k, v in created.items() if k not in
                 ("title", "description", "targetValue", "version", "updatedAt", "objective")}  # fmt: skip
    assert {k: kr[k] for k in unchanged} == unchanged
    assert kr["version"] == 2
    assert kr["updatedAt"] > created["updatedAt"]
    event = await pool.fetchrow(
        "SELECT type, before, after FROM event WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert event["type"] == "key_result.updated"
    changed = {k for k in event["after"] if event["before"][k] != event["after"][k]}
    assert changed == {"title", "description", "targetValue", "version"}
    assert (event["before"]["description"], event["after"]["description"]) == (
        "Från seed 003",
        None,
    )
    assert (event["before"]["targetValue"], event["after"]["targetValue"]) == ("350", "400")
    assert event["after"]["dataSource"] == "CRM"


async def test_changing_target_weight_and_cadence_recomputes_progress_and_due_time(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    kr_id = tree["krs"][0]
    before = (
        await gql.data(
            f"query ($id: ID!) {{ node(id: $id) {{ ... on KeyResult {{ {KR_FIELDS} }} }} }}",
            {"id": kr_id},
        )
    )["node"]
    payload = (
        await gql.data(
            UPDATE,
            {"input": {"id": kr_id, "targetValue": "50", "weight": "3", "cadence": "BIWEEKLY"}},
        )
    )["updateKeyResult"]
    assert payload["userErrors"] == []
    kr = payload["keyResult"]
    assert kr["progress"] == pytest.approx(float(before["currentValue"]) / 50)
    assert kr["objective"]["progress"] != before["objective"]["progress"]
    last = dt.datetime.fromisoformat(before["nextCheckInDue"]) - dt.timedelta(days=7)
    assert dt.datetime.fromisoformat(kr["nextCheckInDue"]) == last + dt.timedelta(days=14)
    await assert_matches_recomputation(pool, org["id"])


async def test_changing_the_kind_needs_the_new_kinds_fields(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    kr_id = tree["krs"][0]
    # the resulting state is judged: a milestone keeping its numbers is refused
    errors = await _refused(gql, pool, org, UPDATE, {"id": kr_id, "kind": "MILESTONE"})
    assert sorted(_codes(errors)) == [
        (("input", "startValue"), "WRONG_KIND"),
        (("input", "targetValue"), "WRONG_KIND"),
    ]
    payload = (
        await gql.data(
            UPDATE,
            {"input": {"id": kr_id, "kind": "MILESTONE", "startValue": None, "targetValue": None}},
        )
    )["updateKeyResult"]
    assert payload["userErrors"] == []
    assert (payload["keyResult"]["kind"], payload["keyResult"]["progress"]) == ("MILESTONE", 0.0)
    await assert_matches_recomputation(pool, org["id"])
    payload = (
        await gql.data(
            UPDATE,
            {"input": {"id": kr_id, "kind": "THRESHOLD", "targetValue": "20",
                       "thresholdDirection": "AT_LEAST"}},
        )
    )["updateKeyResult"]  # fmt: skip
    assert payload["userErrors"] == []
    # the latest check-in (30) is at least 20
    assert payload["keyResult"]["progress"] == 1.0
    await assert_matches_recomputation(pool, org["id"])


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"startValue": "100"}, "targetValue", "TARGET_EQUALS_START"),
        ({"targetValue": "0"}, "targetValue", "TARGET_EQUALS_START"),
        ({"weight": "0"}, "weight", "NOT_POSITIVE"),
        ({"weight": "-2"}, "weight", "NOT_POSITIVE"),
        *[({"targetValue": v}, "targetValue", "INVALID_NUMBER") for v in NOT_A_NUMBER],
        ({"thresholdDirection": "AT_LEAST"}, "thresholdDirection", "WRONG_KIND"),
        ({"title": None}, "title", "REQUIRED"),
        ({"title": "  "}, "title", "REQUIRED"),
        ({"kind": None}, "kind", "REQUIRED"),
        ({"weight": None}, "weight", "REQUIRED"),
        ({"cadence": None}, "cadence", "REQUIRED"),
        ({"ownerId": None}, "ownerId", "REQUIRED"),
        ({"position": None}, "position", "REQUIRED"),
        ({"startValue": None}, "startValue", "REQUIRED"),
        ({"unit": "CURRENCY"}, "currency", "REQUIRED"),
        ({"unit": "CURRENCY", "currency": "XYZ"}, "currency", "INVALID"),
        ({"ownerId": encode_id("User", 987654321)}, "ownerId", "NOT_FOUND"),
        ({"ownerId": encode_id("Objective", 1)}, "ownerId", "INVALID_ID"),
        ({"id": encode_id("KeyResult", 987654321)}, "id", "NOT_FOUND"),
        ({"id": encode_id("Objective", 1)}, "id", "INVALID_ID"),
        ({"version": 7}, "version", "STALE_VERSION"),
    ],
)
async def test_bad_update_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    errors = await _refused(gql, pool, org, UPDATE, {"id": tree["krs"][0], **change})
    assert (("input", field), code) in _codes(errors)


async def test_an_update_cannot_take_an_external_id_in_use(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    await gql.data(UPDATE, {"input": {"id": tree["krs"][0], "externalId": "sheet-1"}})
    errors = await _refused(gql, pool, org, UPDATE, {"id": tree["krs"][1], "externalId": "sheet-1"})
    assert _codes(errors) == [(("input", "externalId"), "DUPLICATE_EXTERNAL_ID")]


@pytest.mark.parametrize("status", ["CLOSED", "ARCHIVED"])
async def test_no_update_or_delete_on_a_closed_or_archived_objective(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    status: str,
) -> None:
    await _close(pool, org, status)
    errors = await _refused(gql, pool, org, UPDATE, {"id": tree["krs"][0], "title": "Ny"})
    assert _codes(errors) == [(("input", "id"), "OBJECTIVE_READ_ONLY")]
    errors = await _refused(gql, pool, org, DELETE, {"id": tree["krs"][0]})
    assert _codes(errors) == [(("input", "id"), "OBJECTIVE_READ_ONLY")]


async def test_a_stale_version_loses_to_the_first_writer(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    kr_id = tree["krs"][0]
    first = (await gql.data(UPDATE, {"input": {"id": kr_id, "version": 1, "title": "A"}}))[
        "updateKeyResult"
    ]
    assert first["keyResult"]["version"] == 2
    errors = await _refused(gql, pool, org, UPDATE, {"id": kr_id, "version": 1, "title": "B"})
    assert _codes(errors) == [(("input", "version"), "STALE_VERSION")]


# --- deleteKeyResult --------------------------------------------------------------------


async def test_deleting_a_key_result_takes_its_check_ins_and_keeps_alignments(
    gql: GraphQLClient, tree: dict[str, Any], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a child objective aligned under the tree's objective, supporting its first KR
    kr_id = decode_id_of(tree["krs"][0], "KeyResult")
    async with pool.acquire() as conn, conn.transaction():
        # (two objectives: arrange names its cycle by the count, and one is taken)
        child, _ = await objective_tree(conn, org["id"], org["admin_id"], 2)
        await conn.execute(
            "INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id,"
            " parent_key_result_id) VALUES ($1, $2, $3, $4)",
            org["id"],
            child,
            tree["objective_id"],
            kr_id,
        )
    # when the key result is deleted
    payload = (await gql.data(DELETE, {"input": {"id": tree["krs"][0], "version": 1}}))[
        "deleteKeyResult"
    ]
    # then it and its check-ins are gone, the alignment stays, and progress follows
    assert payload["userErrors"] == []
    assert payload["deletedKeyResultId"] == tree["krs"][0]
    assert [n["id"] for n in payload["objective"]["keyResults"]["nodes"]] == [tree["krs"][1]]
    remaining = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on KeyResult { currentValue } } }",
        {"id": tree["krs"][1]},
    )
    assert payload["objective"]["progress"] == pytest.approx(
        float(remaining["node"]["currentValue"]) / 100
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM check_in WHERE organization_id = $1 AND key_result_id = $2",
            org["id"],
            kr_id,
        )
        == 0
    )
    alignment = await pool.fetchrow(
        "SELECT parent_objective_id, parent_key_result_id FROM alignment"
        " WHERE organization_id = $1 AND child_objective_id = $2",
        org["id"],
        child,
    )
    assert tuple(alignment) == (tree["objective_id"], None)
    event = await pool.fetchrow(
        "SELECT type, before, after FROM event WHERE organization_id = $1 ORDER BY id DESC LIMIT 1",
        org["id"],
    )
    assert (event["type"], event["before"]["title"], event["after"]) == (
        "key_result.deleted",
        "Key result 0.0",
        None,
    )
    await assert_matches_recomputation(pool, org["id"])


async def test_deleting_the_last_key_result_leaves_no_progress(
    gql: GraphQLClient, tree: dict[str, Any]
) -> None:
    for kr in tree["krs"]:
        payload = (await gql.data(DELETE, {"input": {"id": kr}}))["deleteKeyResult"]
        assert payload["userErrors"] == []
    assert payload["objective"]["progress"] is None
    assert payload["objective"]["keyResults"]["totalCount"] == 0


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"id": encode_id("KeyResult", 987654321)}, "id", "NOT_FOUND"),
        ({"id": encode_id("CheckIn", 1)}, "id", "INVALID_ID"),
        ({"id": "garbage"}, "id", "INVALID_ID"),
        ({"version": 2}, "version", "STALE_VERSION"),
    ],
)
async def test_bad_delete_is_a_coded_error_on_its_field(
    gql: GraphQLClient,
    tree: dict[str, Any],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    change: dict[str, Any],
    field: str,
    code: str,
) -> None:
    errors = await _refused(gql, pool, org, DELETE, {"id": tree["krs"][0], **change})
    assert _codes(errors) == [(("input", field), code)]


async def test_the_standard_executor_runs_the_same_mutations(
    gql: GraphQLClient, tree: dict[str, Any]
) -> None:
    # The oracle path (strawberry's executor) resolves mutations through the same run function.
    response = await gql.post(CREATE, {"input": _numeric(tree)}, standard=True)
    payload = response.json()["data"]["createKeyResult"]
    assert payload["userErrors"] == []
    assert payload["keyResult"]["startValue"] == "250"
