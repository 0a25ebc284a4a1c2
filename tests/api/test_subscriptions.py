"""Subscriptions over graphql-transport-ws, fed by PostgreSQL: two real API instances on one
database, a subscriber on one hearing a check-in written through the other."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from tests.arrange import objective_tree
from tests.servers import serving

SUBSCRIBE = """subscription ($filter: SubscriptionFilter) {
  checkInCreated(filter: $filter) {
    checkIn { value confidence }
    keyResult { id currentValue }
    objective { id progress }
  }
}"""


@contextlib.asynccontextmanager
async def _instance(database_url: str) -> AsyncIterator[int]:
    """A real API instance (uvicorn) on a free loopback port, stopped afterwards."""
    app = create_app(Settings(environment="development"), url=database_url)
    async with serving(app) as port:
        yield port


async def _subscribe(
    port: int, organization: str, variables: dict[str, Any], query: str = SUBSCRIBE
) -> Any:
    ws = await websockets.connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"X-Organization": organization}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
    await ws.send(
        json.dumps(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            }
        )
    )
    return ws


async def _check_in(port: int, organization: str, kr: str, value: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post(
            "/graphql",
            json={
                "query": """mutation ($input: CreateCheckInInput!) {
                  createCheckIn(input: $input) { checkIn { id } userErrors { code } } }""",
                "variables": {
                    "input": {"keyResultId": kr, "value": value, "confidence": "AT_RISK"}
                },
            },
            headers={"x-organization": organization},
        )
    body: dict[str, Any] = response.json()
    assert body["data"]["createCheckIn"]["userErrors"] == [], body
    return body


@pytest.fixture
async def tree(pool: asyncpg.Pool[Any], org: dict[str, Any], gql: Any) -> list[str]:
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
    data = await gql.data("{ keyResults(first: 5) { nodes { id } } }")
    return [kr["id"] for kr in data["keyResults"]["nodes"]]


async def test_a_subscriber_on_one_instance_hears_a_check_in_made_through_another(
    database_url: str, org: dict[str, Any], tree: list[str]
) -> None:
    async with _instance(database_url) as reader, _instance(database_url) as writer:
        ws = await _subscribe(reader, org["slug"], {"filter": {"keyResultId": tree[0]}})
        try:
            # a check-in of another key result: outside the filter, not sent
            await _check_in(writer, org["slug"], tree[1], "11")
            # a check-in of the watched key result, through the other instance
            await _check_in(writer, org["slug"], tree[0], "77")
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        finally:
            await ws.close()
    assert message["type"] == "next"
    assert message["id"] == "1"
    payload = message["payload"]["data"]["checkInCreated"]
    assert payload["checkIn"] == {"value": "77", "confidence": "AT_RISK"}
    assert payload["keyResult"] == {"id": tree[0], "currentValue": "77"}
    assert payload["objective"]["progress"] is not None


async def test_another_organisation_hears_nothing(
    database_url: str, org: dict[str, Any], tree: list[str], demo_organization: int
) -> None:
    async with _instance(database_url) as port:
        ws = await _subscribe(port, "demo", {})
        try:
            await _check_in(port, org["slug"], tree[0], "5")
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(ws.recv(), 1.5)
        finally:
            await ws.close()


async def test_bad_subscriptions_are_refused_with_errors(
    database_url: str, org: dict[str, Any]
) -> None:
    async with _instance(database_url) as port:
        ws = await _subscribe(port, org["slug"], {"filter": {"keyResultId": "garbage"}})
        try:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        finally:
            await ws.close()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_unknown_organisation_cannot_connect(database_url: str) -> None:
    async with _instance(database_url) as port:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
        )
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"X-Organization": "nobody"}})
        )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


PROGRESS = """subscription ($filter: ObjectiveEventFilter) {
  objectiveProgressChanged(filter: $filter) { objective { id progress } }
}"""


async def test_a_subscriber_hears_the_progress_of_the_objective_it_follows(
    database_url: str, org: dict[str, Any], pool: asyncpg.Pool[Any], gql: Any
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        first, second = await objective_tree(conn, org["id"], org["admin_id"], 2)
    query = "query ($id: ID!) { node(id: $id) { ... on Objective { keyResults(first: 1) { nodes { id } } } } }"
    krs = {}
    for objective in (first, second):
        node = (await gql.data(query, {"id": encode_id("Objective", objective)}))["node"]
        krs[objective] = node["keyResults"]["nodes"][0]["id"]
    watched = encode_id("Objective", second)
    async with _instance(database_url) as reader, _instance(database_url) as writer:
        ws = await _subscribe(reader, org["slug"], {"filter": {"objectiveId": watched}}, PROGRESS)
        try:
            # the other objective moves: not sent; then the watched one, through the other instance
            await _check_in(writer, org["slug"], krs[first], "97")
            await _check_in(writer, org["slug"], krs[second], "100")
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        finally:
            await ws.close()
    assert message["type"] == "next"
    objective = message["payload"]["data"]["objectiveProgressChanged"]["objective"]
    assert objective["id"] == watched
    data = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { progress } } }", {"id": watched}
    )
    assert objective["progress"] == data["node"]["progress"]


async def test_a_subscriber_is_answered_as_who_they_are(
    database_url: str, org: dict[str, Any], tree: list[str]
) -> None:
    # The development fallback acts as the organisation's admin: may change and check in.
    query = """subscription ($filter: SubscriptionFilter) {
      checkInCreated(filter: $filter) { keyResult { viewerCanUpdate viewerCanCheckIn } }
    }"""
    async with _instance(database_url) as port:
        ws = await _subscribe(port, org["slug"], {"filter": {"keyResultId": tree[0]}}, query)
        try:
            await _check_in(port, org["slug"], tree[0], "42")
            message = json.loads(await asyncio.wait_for(ws.recv(), 10))
        finally:
            await ws.close()
    assert message["type"] == "next", message
    assert message["payload"]["data"]["checkInCreated"]["keyResult"] == {
        "viewerCanUpdate": True,
        "viewerCanCheckIn": True,
    }
