"""Numbers through the API: one decimal grammar for every number input, exact progress and
scores at one documented precision, and the current value before the first check-in
(docs/domain-rules.md, "Key results" and "Input, updates and integrations")."""

from __future__ import annotations

import math
from typing import Any

import asyncpg
import pytest

from tests.arrange import objective_tree
from tests.derived import assert_matches_recomputation
from tests.graphql import GraphQLClient

CREATE_KR = """mutation ($input: CreateKeyResultInput!) {
  createKeyResult(input: $input) {
    keyResult { id startValue currentValue progress score lastCheckIn { id } }
    userErrors { field code }
  }
}"""
CHECK_IN = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) {
    checkIn { value }
    keyResult { currentValue progress score objective { progress } }
    userErrors { field code }
  }
}"""
READ = """query ($id: ID!) { node(id: $id) { ... on KeyResult {
  startValue currentValue progress score lastCheckIn { value } } } }"""


@pytest.fixture
async def objective(pool: asyncpg.Pool[Any], org: dict[str, Any], gql: GraphQLClient) -> str:
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
    data = await gql.data("{ objectives(first: 1) { nodes { id } } }")
    objective_id: str = data["objectives"]["nodes"][0]["id"]
    return objective_id


async def _key_result(gql: GraphQLClient, objective: str, **fields: Any) -> dict[str, Any]:
    given = {"objectiveId": objective, "title": "Exact", "kind": "NUMERIC", **fields}
    payload = (await gql.data(CREATE_KR, {"input": given}))["createKeyResult"]
    assert payload["userErrors"] == []
    key_result: dict[str, Any] = payload["keyResult"]
    return key_result


async def _check_in(gql: GraphQLClient, key_result: str, value: Any) -> dict[str, Any]:
    given = {"keyResultId": key_result, "value": value, "confidence": "ON_TRACK"}
    payload: dict[str, Any] = (await gql.data(CHECK_IN, {"input": given}))["createCheckIn"]
    return payload


async def test_from_0_1_to_0_3_at_0_2_is_exactly_half(
    gql: GraphQLClient, objective: str, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a key result from 0.1 to 0.3
    kr = await _key_result(gql, objective, startValue="0.1", targetValue="0.3")
    # when 0.2 is checked in
    payload = await _check_in(gql, kr["id"], "0.2")
    # then progress and score are exactly 0.5 (floats give 0.5000000000000001), in the
    # mutation's answer and in a read, through the planner and the standard executor alike
    assert payload["userErrors"] == []
    assert (payload["keyResult"]["progress"], payload["keyResult"]["score"]) == (0.5, 0.5)
    response = await gql.post(READ, {"id": kr["id"]})
    assert '"progress":0.5,' in response.text
    assert '"score":0.5,' in response.text
    read = (await gql.data(READ, {"id": kr["id"]}))["node"]
    assert (read["progress"], read["score"]) == (0.5, 0.5)
    # and the stored objective progress equals a recomputation from scratch
    await assert_matches_recomputation(pool, org["id"])


async def test_progress_is_rounded_half_even_to_six_places(
    gql: GraphQLClient, objective: str
) -> None:
    kr = await _key_result(gql, objective, startValue="0", targetValue="3")
    assert (await _check_in(gql, kr["id"], "1"))["keyResult"]["progress"] == 0.333333
    # 0.0000015 / 3 is the tie 0.0000005: to the even neighbour, 0
    assert (await _check_in(gql, kr["id"], "0.0000015"))["keyResult"]["progress"] == 0.0
    assert (await _check_in(gql, kr["id"], "0.0000045"))["keyResult"]["progress"] == 0.000002


async def test_before_the_first_check_in_the_current_value_is_the_start(
    gql: GraphQLClient, objective: str
) -> None:
    # given a decreasing key result nobody has measured yet
    kr = await _key_result(gql, objective, startValue="1300", targetValue="1170.50")
    # then its current value is its start, its progress 0 (not -0), and no check-in shows
    assert (kr["currentValue"], kr["lastCheckIn"]) == ("1300", None)
    assert kr["progress"] == 0.0
    assert math.copysign(1, kr["progress"]) == 1
    read = (await gql.data(READ, {"id": kr["id"]}))["node"]
    assert (read["startValue"], read["currentValue"], read["lastCheckIn"]) == ("1300", "1300", None)
    # and once measured, the check-in's value
    await _check_in(gql, kr["id"], "1235")
    read = (await gql.data(READ, {"id": kr["id"]}))["node"]
    assert (read["currentValue"], read["lastCheckIn"]) == ("1235", {"value": "1235"})


async def test_a_threshold_without_a_check_in_has_no_current_value(
    gql: GraphQLClient, objective: str
) -> None:
    # a threshold has no start: nothing to stand in for the first measurement
    kr = await _key_result(
        gql, objective, kind="THRESHOLD", targetValue="99.5", thresholdDirection="AT_LEAST"
    )
    read = (await gql.data(READ, {"id": kr["id"]}))["node"]
    assert (read["currentValue"], read["lastCheckIn"], read["progress"]) == (None, None, 0.0)


@pytest.mark.parametrize(
    "value",
    [
        "1_000",
        "١٢",  # Arabic-Indic digits
        " 1 ",
        "1e-400",
        "1e999999999",
        "0." + "1" * 1000,
        "0.00000000001",
        "NaN",
        "Infinity",
        "",
    ],
)
async def test_a_check_in_value_outside_the_grammar_is_invalid_number(
    gql: GraphQLClient, objective: str, pool: asyncpg.Pool[Any], org: dict[str, Any], value: str
) -> None:
    kr = await _key_result(gql, objective, startValue="0", targetValue="100")
    before = await pool.fetchval(
        "SELECT count(*) FROM check_in WHERE organization_id = $1", org["id"]
    )
    payload = await _check_in(gql, kr["id"], value)
    assert payload["userErrors"] == [{"field": ["input", "value"], "code": "INVALID_NUMBER"}]
    after = await pool.fetchval(
        "SELECT count(*) FROM check_in WHERE organization_id = $1", org["id"]
    )
    assert after == before


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("startValue", "1_000"),
        ("targetValue", "1e-400"),
        ("weight", " 2 "),
        ("weight", "1e999999999"),
    ],
)
async def test_key_result_numbers_follow_the_same_grammar(
    gql: GraphQLClient, objective: str, field: str, value: str
) -> None:
    given = {
        "objectiveId": objective,
        "title": "Bad number",
        "kind": "NUMERIC",
        "startValue": "0",
        "targetValue": "10",
        field: value,
    }
    payload = (await gql.data(CREATE_KR, {"input": given}))["createKeyResult"]
    assert payload["userErrors"] == [{"field": ["input", field], "code": "INVALID_NUMBER"}]


async def test_a_number_written_in_the_document_is_read_by_its_text(
    gql: GraphQLClient, objective: str
) -> None:
    # given key results whose numbers are literals of the document, not variables
    kr = await _key_result(gql, objective, startValue="0", targetValue="1")
    document = """mutation { createCheckIn(input: {keyResultId: "%s", value: %s,
      confidence: ON_TRACK}) { checkIn { value } userErrors { field code } } }"""
    # then 0.1 is 0.1 (not its binary neighbour) and 1e-400 is refused (a float reads it as 0)
    exact = (await gql.data(document % (kr["id"], "0.1")))["createCheckIn"]
    assert exact == {"checkIn": {"value": "0.1"}, "userErrors": []}
    tiny = (await gql.data(document % (kr["id"], "1e-400")))["createCheckIn"]
    assert tiny == {
        "checkIn": None,
        "userErrors": [{"field": ["input", "value"], "code": "INVALID_NUMBER"}],
    }
