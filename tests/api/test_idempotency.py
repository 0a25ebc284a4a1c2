"""Integrations that never lose or double a value: external ids, idempotency keys, bulk pushes."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import asyncpg
import httpx
import pytest

from db.ids import decode_id
from db.tenancy import tenant_transaction
from services.api_keys import issue_key
from tests.arrange import objective_tree
from tests.graphql import GraphQLClient

CREATE = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) {
    checkIn { id value confidence measuredAt }
    keyResult { id externalId }
    userErrors { field message code }
  }
}"""

BULK = """mutation ($input: CreateCheckInsInput!) {
  createCheckIns(input: $input) {
    checkIns { id value keyResult { id currentValue } }
    userErrors { field message code }
  }
}"""

BY_EXTERNAL_ID = """query ($externalId: String!) {
  keyResult(externalId: $externalId) {
    id title externalId currentValue objective { title }
    lastCheckIn { value }
  }
}"""


@pytest.fixture
async def krs(pool: asyncpg.Pool[Any], org: dict[str, Any], gql: GraphQLClient) -> list[str]:
    """Two numeric key results (0 -> 100) of one objective, known as "crm-0" and "crm-1"."""
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        await conn.execute(
            "UPDATE key_result SET external_id = 'crm-' || position, data_source = 'CRM'"
            " WHERE organization_id = $1",
            org["id"],
        )
    data = await gql.data("{ keyResults(first: 5) { nodes { id } } }")
    return [n["id"] for n in data["keyResults"]["nodes"]]


async def _count(pool: asyncpg.Pool[Any], org: dict[str, Any], table: str) -> int:
    assert table in ("check_in", "event", "idempotency_key")
    return int(
        await pool.fetchval(f"SELECT count(*) FROM {table} WHERE organization_id = $1", org["id"])
    )


def _codes(errors: list[dict[str, Any]]) -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(e["field"]), e["code"]) for e in errors]


# -- external ids ------------------------------------------------------------------------------


async def test_a_key_result_is_found_by_its_external_id(gql: GraphQLClient, krs: list[str]) -> None:
    # given key results known to an integration as crm-0 and crm-1
    # when one is asked for by that key (planner and standard executor compared)
    data = await gql.data(BY_EXTERNAL_ID, {"externalId": "crm-1"})
    # then it is that key result
    assert data["keyResult"]["id"] == krs[1]
    assert data["keyResult"]["externalId"] == "crm-1"
    # and an unknown key is null, not an error
    assert (await gql.data(BY_EXTERNAL_ID, {"externalId": "nope"}))["keyResult"] is None


async def test_external_ids_of_other_organisations_are_invisible(
    http: httpx.AsyncClient, demo: GraphQLClient, gql: GraphQLClient, krs: list[str]
) -> None:
    # the demo organisation has no key result "crm-0"; this test's organisation has
    assert (await demo.data(BY_EXTERNAL_ID, {"externalId": "crm-0"}))["keyResult"] is None
    assert (await gql.data(BY_EXTERNAL_ID, {"externalId": "crm-0"}))["keyResult"] is not None


async def test_a_check_in_may_name_its_key_result_by_external_id(
    gql: GraphQLClient, krs: list[str]
) -> None:
    payload = (
        await gql.data(
            CREATE,
            {"input": {"keyResultExternalId": "crm-0", "value": "42", "confidence": "ON_TRACK"}},
        )
    )["createCheckIn"]
    assert payload["userErrors"] == []
    assert payload["keyResult"] == {"id": krs[0], "externalId": "crm-0"}
    data = await gql.data(BY_EXTERNAL_ID, {"externalId": "crm-0"})
    assert data["keyResult"]["currentValue"] == "42"


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ({"keyResultExternalId": "unknown"}, [(("input", "keyResultExternalId"), "NOT_FOUND")]),
        ({}, [(("input", "keyResultId"), "REQUIRED")]),
        ({"keyResultExternalId": "   "}, [(("input", "keyResultExternalId"), "REQUIRED")]),
        ("both", [(("input", "keyResultExternalId"), "INVALID")]),
    ],
)
async def test_a_check_in_names_exactly_one_existing_key_result(
    gql: GraphQLClient,
    krs: list[str],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
    reference: Any,
    expected: list[tuple[tuple[str, ...], str]],
) -> None:
    if reference == "both":
        reference = {"keyResultId": krs[0], "keyResultExternalId": "crm-0"}
    before = await _count(pool, org, "check_in")
    payload = (
        await gql.data(CREATE, {"input": {**reference, "value": "1", "confidence": "ON_TRACK"}})
    )["createCheckIn"]
    assert payload["checkIn"] is None
    assert _codes(payload["userErrors"]) == expected
    assert await _count(pool, org, "check_in") == before


# -- idempotency keys --------------------------------------------------------------------------


async def test_the_same_key_and_input_replays_the_first_response(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    given = {"keyResultId": krs[0], "value": "55", "confidence": "ON_TRACK",
             "idempotencyKey": "push-2026-11-28T10:00"}  # fmt: skip
    before = (await _count(pool, org, "check_in"), await _count(pool, org, "event"))
    first = await gql.data(CREATE, {"input": given})
    # when the integration retries (its variables in another order)
    again = await gql.data(CREATE, {"input": dict(reversed(given.items()))})
    # then it gets the very same answer, and one check-in (and its events) exist
    assert first["createCheckIn"]["userErrors"] == []
    assert again == first
    check_ins, events = await _count(pool, org, "check_in"), await _count(pool, org, "event")
    assert check_ins == before[0] + 1
    third = await gql.data(CREATE, {"input": given})
    assert third == first
    assert (await _count(pool, org, "check_in"), await _count(pool, org, "event")) == (
        check_ins,
        events,
    ), "a replay writes nothing"
    assert await _count(pool, org, "idempotency_key") == 1


async def test_the_same_key_with_another_input_is_refused(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    given = {"keyResultId": krs[0], "value": "55", "confidence": "ON_TRACK",
             "idempotencyKey": "k-1"}  # fmt: skip
    await gql.data(CREATE, {"input": given})
    before = await _count(pool, org, "check_in")
    payload = (await gql.data(CREATE, {"input": {**given, "value": "56"}}))["createCheckIn"]
    assert payload["checkIn"] is None
    assert _codes(payload["userErrors"]) == [
        (("input", "idempotencyKey"), "IDEMPOTENCY_KEY_REUSED")
    ]
    # also when the same key is sent to the bulk mutation
    bulk = (await gql.data(BULK, {"input": {"items": [{**given}], "idempotencyKey": "k-1"}}))[
        "createCheckIns"
    ]
    assert _codes(bulk["userErrors"]) == [(("input", "idempotencyKey"), "IDEMPOTENCY_KEY_REUSED")]
    assert await _count(pool, org, "check_in") == before


async def test_a_refused_write_does_not_use_up_its_key(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a write refused by a rule (a value measured in the future)
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).isoformat()
    given = {"keyResultId": krs[0], "value": "5", "confidence": "ON_TRACK",
             "idempotencyKey": "retry-me"}  # fmt: skip
    refused = (await gql.data(CREATE, {"input": {**given, "measuredAt": future}}))["createCheckIn"]
    assert _codes(refused["userErrors"]) == [(("input", "measuredAt"), "MEASURED_IN_FUTURE")]
    assert await _count(pool, org, "idempotency_key") == 0
    # when the corrected input is sent with the same key, it is written
    fixed = (await gql.data(CREATE, {"input": given}))["createCheckIn"]
    assert fixed["userErrors"] == []
    assert fixed["checkIn"]["value"] == "5"


@pytest.mark.parametrize(("key", "code"), [("  ", "REQUIRED"), ("k" * 201, "TOO_LONG")])
async def test_idempotency_keys_are_bounded(
    gql: GraphQLClient, krs: list[str], key: str, code: str
) -> None:
    given = {"keyResultId": krs[0], "value": "5", "confidence": "ON_TRACK", "idempotencyKey": key}
    payload = (await gql.data(CREATE, {"input": given}))["createCheckIn"]
    assert _codes(payload["userErrors"]) == [(("input", "idempotencyKey"), code)]


async def test_concurrent_duplicates_write_once_and_answer_alike(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given one push, sent 20 times at once (an integration's retries racing each other)
    given = {"keyResultId": krs[1], "value": "77.5", "confidence": "AT_RISK",
             "idempotencyKey": "race-1"}  # fmt: skip
    before = await _count(pool, org, "check_in")
    responses = await asyncio.gather(*(gql.post(CREATE, {"input": given}) for _ in range(20)))
    # then every one succeeds with the same answer, and exactly one check-in exists
    bodies = [r.json() for r in responses]
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    assert bodies[0]["data"]["createCheckIn"]["userErrors"] == []
    assert all(b == bodies[0] for b in bodies)
    assert await _count(pool, org, "check_in") == before + 1
    assert await _count(pool, org, "idempotency_key") == 1


async def test_keys_belong_to_their_caller_and_organisation(
    http: httpx.AsyncClient,
    gql: GraphQLClient,
    krs: list[str],
    pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    # given a key used by the organisation's admin
    given = {"keyResultId": krs[0], "value": "10", "confidence": "ON_TRACK",
             "idempotencyKey": "shared"}  # fmt: skip
    first = (await gql.data(CREATE, {"input": given}))["createCheckIn"]
    # when an integration's API key of the same organisation sends the same key
    async with pool.acquire() as conn, tenant_transaction(conn, org["id"]):
        api_key = await issue_key(conn, org["id"], name="CRM", scopes=["read", "write"])
    response = await http.post(
        "/graphql",
        json={"query": CREATE, "variables": {"input": {**given, "value": "11"}}},
        headers={"authorization": f"Bearer {api_key.secret}"},
    )
    # then it is its own key: a new check-in, no reuse error
    second = response.json()["data"]["createCheckIn"]
    assert second["userErrors"] == []
    assert second["checkIn"]["id"] != first["checkIn"]["id"]
    rows = await pool.fetch(
        "SELECT caller FROM idempotency_key WHERE organization_id = $1 ORDER BY caller", org["id"]
    )
    assert [r["caller"] for r in rows] == [f"key:{api_key.id}", f"user:{org['admin_id']}"]


async def test_another_organisation_has_its_own_keys(
    http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any], krs: list[str]
) -> None:
    # given a second organisation whose admin is the same person
    other_slug = f"{org['slug']}-b"
    async with pool.acquire() as conn, conn.transaction():
        other_id = await conn.fetchval(
            "INSERT INTO organization (name, slug) VALUES ('Other AB', $1) RETURNING id",
            other_slug,
        )
        await conn.execute(
            "INSERT INTO membership (organization_id, user_id, role) VALUES ($1, $2, 'ADMIN')",
            other_id,
            org["admin_id"],
        )
        await objective_tree(conn, other_id, org["admin_id"], 1)
        await conn.execute(
            "UPDATE key_result SET external_id = 'crm-' || position WHERE organization_id = $1",
            other_id,
        )
    given = {"keyResultExternalId": "crm-0", "value": "9", "confidence": "ON_TRACK",
             "idempotencyKey": "nightly"}  # fmt: skip
    mine = await GraphQLClient(http, org["slug"]).data(CREATE, {"input": given})
    theirs = await GraphQLClient(http, other_slug).data(CREATE, {"input": given})
    # then each organisation wrote its own check-in
    mine_id = mine["createCheckIn"]["checkIn"]["id"]
    theirs_id = theirs["createCheckIn"]["checkIn"]["id"]
    assert mine_id != theirs_id
    assert decode_id(theirs["createCheckIn"]["keyResult"]["id"])[1] not in [
        decode_id(k)[1] for k in krs
    ]


async def test_an_expired_key_may_be_used_afresh(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    given = {"keyResultId": krs[0], "value": "1", "confidence": "ON_TRACK",
             "idempotencyKey": "old"}  # fmt: skip
    first = (await gql.data(CREATE, {"input": given}))["createCheckIn"]
    # given the key is older than 24 hours, as is another of the organisation's keys
    await gql.data(CREATE, {"input": {**given, "idempotencyKey": "older"}})
    await pool.execute(
        "UPDATE idempotency_key SET created_at = now() - interval '25 hours'"
        " WHERE organization_id = $1",
        org["id"],
    )
    # when it is used again, with another input, it writes (no reuse error)
    again = (await gql.data(CREATE, {"input": {**given, "value": "2"}}))["createCheckIn"]
    assert again["userErrors"] == []
    assert again["checkIn"]["id"] != first["checkIn"]["id"]
    # and the other expired key was purged on the way
    keys = await pool.fetch("SELECT key FROM idempotency_key WHERE organization_id = $1", org["id"])
    assert [r["key"] for r in keys] == ["old"]


# -- bulk ----------------------------------------------------------------------------------------


def _item(reference: dict[str, Any], value: str) -> dict[str, Any]:
    return {**reference, "value": value, "confidence": "ON_TRACK"}


async def test_a_bulk_push_writes_every_item_in_order(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    before = await _count(pool, org, "check_in")
    items = [
        _item({"keyResultId": krs[0]}, "10"),
        _item({"keyResultExternalId": "crm-1"}, "20"),
        _item({"keyResultId": krs[0]}, "15"),
    ]
    payload = (await gql.data(BULK, {"input": {"items": items}}))["createCheckIns"]
    assert payload["userErrors"] == []
    assert [c["value"] for c in payload["checkIns"]] == ["10", "20", "15"]
    assert [c["keyResult"]["id"] for c in payload["checkIns"]] == [krs[0], krs[1], krs[0]]
    # the later item of one key result is its current value
    assert payload["checkIns"][0]["keyResult"]["currentValue"] == "15"
    assert await _count(pool, org, "check_in") == before + 3


async def test_a_bulk_push_is_all_or_nothing_by_default(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    before = await _count(pool, org, "check_in"), await _count(pool, org, "event")
    items = [
        _item({"keyResultId": krs[0]}, "10"),
        _item({"keyResultExternalId": "missing"}, "20"),
        {"keyResultId": krs[1], "confidence": "ON_TRACK"},
        _item({"keyResultId": "garbage"}, "1"),
    ]
    payload = (await gql.data(BULK, {"input": {"items": items}}))["createCheckIns"]
    assert payload["checkIns"] == [None, None, None, None]
    assert _codes(payload["userErrors"]) == [
        (("input", "items", "1", "keyResultExternalId"), "NOT_FOUND"),
        (("input", "items", "2", "value"), "REQUIRED"),
        (("input", "items", "3", "keyResultId"), "INVALID_ID"),
    ]
    assert (await _count(pool, org, "check_in"), await _count(pool, org, "event")) == before


async def test_a_partial_bulk_push_writes_the_valid_items(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    before = await _count(pool, org, "check_in")
    items = [
        _item({"keyResultId": "garbage"}, "1"),
        _item({"keyResultId": krs[0]}, "10"),
        _item({"keyResultExternalId": "missing"}, "20"),
        _item({"keyResultExternalId": "crm-1"}, "30"),
    ]
    variables = {"input": {"items": items, "atomic": False, "idempotencyKey": "partial"}}
    payload = (await gql.data(BULK, variables))["createCheckIns"]
    assert [c and c["value"] for c in payload["checkIns"]] == [None, "10", None, "30"]
    assert _codes(payload["userErrors"]) == [
        (("input", "items", "0", "keyResultId"), "INVALID_ID"),
        (("input", "items", "2", "keyResultExternalId"), "NOT_FOUND"),
    ]
    assert await _count(pool, org, "check_in") == before + 2
    # and its retry replays the same partial answer, writing nothing
    assert (await gql.data(BULK, variables))["createCheckIns"] == payload
    assert await _count(pool, org, "check_in") == before + 2


async def test_a_bulk_push_is_bounded(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    before = await _count(pool, org, "check_in")
    items = [_item({"keyResultId": krs[0]}, str(n)) for n in range(101)]
    payload = (await gql.data(BULK, {"input": {"items": items}}))["createCheckIns"]
    assert _codes(payload["userErrors"]) == [(("input", "items"), "TOO_MANY_ITEMS")]
    assert await _count(pool, org, "check_in") == before


async def test_concurrent_bulk_pushes_neither_deadlock_nor_double(
    gql: GraphQLClient, krs: list[str], pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given pushes naming the two key results in opposite orders, some retried with one key
    forward = [_item({"keyResultId": krs[0]}, "1"), _item({"keyResultId": krs[1]}, "2")]
    backward = list(reversed(forward))
    before = await _count(pool, org, "check_in")
    requests = [
        gql.post(BULK, {"input": {"items": items, "idempotencyKey": f"bulk-{n % 4}"}})
        for n, items in enumerate([forward, backward] * 6)
    ]
    bodies = [r.json() for r in await asyncio.gather(*requests)]
    assert all(b["data"]["createCheckIns"]["userErrors"] == [] for b in bodies), bodies
    # then four distinct pushes wrote two check-ins each
    assert await _count(pool, org, "check_in") == before + 8
