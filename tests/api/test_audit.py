"""The audit history: every change's event names its actor (a person or an API key), and
admins read any node's history, newest first."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from db.ids import encode_id
from tests.graphql import GraphQLClient
from tests.signin import Caller, api_key, member, signin_http

__all__ = ["signin_http"]

HISTORY = """query($id: ID!, $first: Int!, $after: String) {
  auditEvents(subjectId: $id, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id type subjectId before after occurredAt
      actor { name }
      actorApiKey { name }
    }
  }
}"""


async def _objective(gql: GraphQLClient) -> str:
    cycle = await gql.data(
        'mutation { createCycle(input: {name: "2026", startsOn: "2026-01-01",'
        ' endsOn: "2026-12-31"}) { cycle { id } } }'
    )
    created = await gql.data(
        """mutation($cycle: ID!) {
          createObjective(input: {title: "Grow", cycleId: $cycle, level: COMPANY}) {
            objective { id }
          }
        }""",
        {"cycle": cycle["createCycle"]["cycle"]["id"]},
    )
    objective_id: str = created["createObjective"]["objective"]["id"]
    await gql.data(
        """mutation($id: ID!) {
          updateObjective(input: {id: $id, title: "Grow revenue 🚀"}) { userErrors { code } }
        }""",
        {"id": objective_id},
    )
    return objective_id


async def test_admins_read_a_nodes_history_newest_first(
    gql: GraphQLClient, org: dict[str, Any]
) -> None:
    objective_id = await _objective(gql)
    history = (await gql.data(HISTORY, {"id": objective_id, "first": 10}))["auditEvents"]
    assert history["totalCount"] == 2
    updated, created = history["nodes"]
    assert (updated["type"], created["type"]) == ("objective.updated", "objective.created")
    assert {updated["subjectId"], created["subjectId"]} == {objective_id}
    assert updated["actor"] == {"name": "Ada Admin"}
    assert updated["actorApiKey"] is None
    assert created["before"] is None
    assert created["after"]["title"] == "Grow"
    assert updated["before"]["title"] == "Grow"
    assert updated["after"]["title"] == "Grow revenue 🚀"
    assert updated["occurredAt"] >= created["occurredAt"]
    # paging
    first = (await gql.data(HISTORY, {"id": objective_id, "first": 1}))["auditEvents"]
    assert [n["type"] for n in first["nodes"]] == ["objective.updated"]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await gql.data(
        HISTORY, {"id": objective_id, "first": 5, "after": first["pageInfo"]["endCursor"]}
    )
    assert [n["type"] for n in rest["auditEvents"]["nodes"]] == ["objective.created"]
    # another node's history is its own; a malformed id is bad input
    other = await gql.data(HISTORY, {"id": encode_id("Objective", 2**40), "first": 5})
    assert other["auditEvents"]["totalCount"] == 0
    bad = await gql(HISTORY, {"id": "garbage", "first": 5})
    assert [e["extensions"]["code"] for e in bad["errors"]] == ["BAD_USER_INPUT"]


async def test_a_key_is_the_actor_of_its_changes(
    gql: GraphQLClient, org: dict[str, Any], pool: asyncpg.Pool[Any], signin_http: httpx.AsyncClient
) -> None:
    objective_id = await _objective(gql)
    kr = await gql.data(
        """mutation($id: ID!) {
          createKeyResult(input: {objectiveId: $id, title: "Leads", kind: NUMERIC,
                                  startValue: "250", targetValue: "350"}) { keyResult { id } }
        }""",
        {"id": objective_id},
    )
    key_result_id = kr["createKeyResult"]["keyResult"]["id"]
    issued = await api_key(pool, org, "checkins:write")
    integration = Caller(signin_http, org, issued.secret)
    body = await integration(
        """mutation($id: ID!) {
          createCheckIn(input: {keyResultId: $id, value: "300", confidence: ON_TRACK}) {
            checkIn { id } userErrors { code }
          }
        }""",
        {"id": key_result_id},
    )
    check_in_id = body["data"]["createCheckIn"]["checkIn"]["id"]
    history = (await gql.data(HISTORY, {"id": check_in_id, "first": 5}))["auditEvents"]
    (event,) = history["nodes"]
    assert event["type"] == "check_in.created"
    assert event["actor"] is None
    assert event["actorApiKey"] == {"name": "key checkins:write"}
    assert event["after"]["value"] == "300"
    row = await pool.fetchrow(
        "SELECT actor_user_id, actor_api_key_id FROM event WHERE organization_id = $1"
        " AND subject_type = 'CheckIn'",
        org["id"],
    )
    assert (row["actor_user_id"], row["actor_api_key_id"]) == (None, issued.id)
    # and a write key's objective edit too
    writer = await api_key(pool, org, "write")
    await Caller(signin_http, org, writer.secret)(
        """mutation($id: ID!) { updateObjective(input: {id: $id, title: "By key"}) {
          userErrors { code } } }""",
        {"id": objective_id},
    )
    latest = (await gql.data(HISTORY, {"id": objective_id, "first": 1}))["auditEvents"]["nodes"]
    assert latest[0]["actorApiKey"] == {"name": "key write"}


async def test_only_admins_read_the_history(
    gql: GraphQLClient, org: dict[str, Any], pool: asyncpg.Pool[Any], signin_http: httpx.AsyncClient
) -> None:
    objective_id = await _objective(gql)
    await member(pool, org, "Mia", "MEMBER")
    read_key = await api_key(pool, org, "read", "write")
    for caller in (
        Caller.person(signin_http, org, "Mia"),
        Caller(signin_http, org, read_key.secret),
    ):
        for standard in (False, True):
            body = await caller(HISTORY, {"id": objective_id, "first": 5}, standard=standard)
            assert body["data"] is None
            assert [(e["extensions"]["code"], e["path"]) for e in body["errors"]] == [
                ("FORBIDDEN", ["auditEvents"])
            ]
