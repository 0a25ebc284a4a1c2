"""Webhooks end to end, with a real HTTP receiver on 127.0.0.1.

Workers here are driven step by step (`run_once`) with short backoffs and leases, so each test
decides when a delivery is attempted; one test runs the worker as the app's background task.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from api.webhooks.signature import InvalidSignatureError, sign, verify_signature
from api.webhooks.worker import WebhookWorker
from db.pool import create_pool
from tests.graphql import GraphQLClient

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
CREATE_ENDPOINT = """mutation($url: String!, $types: [String!]!, $secret: String) {
  createWebhookEndpoint(input: {url: $url, eventTypes: $types, secret: $secret}) {
    webhookEndpoint { id url eventTypes active } secret userErrors { field code } } }"""
CREATE_CYCLE = """mutation($name: String!) {
  createCycle(input: {name: $name, startsOn: "2026-01-01", endsOn: "2026-03-31"}) {
    cycle { id } userErrors { code } } }"""
DELIVERIES = """query { webhookEndpoints(first: 10) { totalCount nodes { id url
  deliveries(first: 10) { totalCount nodes { id eventId eventType status attempts
    lastStatusCode lastError deliveredAt } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Receiver:
    """A minimal HTTP/1.1 server on 127.0.0.1 that records every POST (headers, body)."""

    def __init__(self, port: int | None = None, status: int = 204, body: bytes = b"") -> None:
        self.port = port or _free_port()
        self.status = status
        self.body = body
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.server: asyncio.Server | None = None
        self.received = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            self.requests.append((headers, body))
            self.received.set()
            writer.write(
                f"HTTP/1.1 {self.status} X\r\ncontent-length: {len(self.body)}\r\n"
                "connection: close\r\n\r\n".encode()
                + self.body
            )
            await writer.drain()
        finally:
            writer.close()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()
            self.server = None


@contextlib.asynccontextmanager
async def receiving(**kwargs: Any) -> AsyncIterator[Receiver]:
    receiver = Receiver(**kwargs)
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "webhook_backoff_base": 0.2,
        "webhook_backoff_factor": 2.0,
        "webhook_backoff_max": 1.0,
        "webhook_max_attempts": 3,
        "webhook_lease": 30.0,
        "webhook_timeout": 2.0,
        "webhook_poll_interval": 0.05,
    }
    return Settings(**(values | overrides))


@pytest.fixture
async def worker_pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """Workers connect as the API's role: row-level security binds them too."""
    pool = await create_pool(database_url, min_size=1, max_size=4, role="okrql_app")
    yield pool
    await pool.close()


async def _register(
    gql: GraphQLClient, url: str, types: list[str], secret: str | None = SECRET
) -> dict[str, Any]:
    data = await gql.data(CREATE_ENDPOINT, {"url": url, "types": types, "secret": secret})
    payload: dict[str, Any] = data["createWebhookEndpoint"]
    assert payload["userErrors"] == []
    return payload


async def _deliveries(gql: GraphQLClient) -> list[dict[str, Any]]:
    data = await gql.data(DELIVERIES)
    return [d for e in data["webhookEndpoints"]["nodes"] for d in e["deliveries"]["nodes"]]


async def _drain(pool: asyncpg.Pool[Any], org_id: int, pending: str = "PENDING") -> None:
    """Make this organisation's pending deliveries due now (skip the backoff wait)."""
    await pool.execute(
        "UPDATE webhook_delivery SET next_attempt_at = now() WHERE organization_id = $1"
        " AND status = $2",
        org_id,
        pending,
    )


async def _only_ours(pool: asyncpg.Pool[Any], org_id: int) -> None:
    # Other tests' organisations may have due deliveries: park them, so a worker's batch here
    # holds this test's alone (workers serve every organisation).
    await pool.execute(
        "UPDATE webhook_delivery SET next_attempt_at = now() + interval '1 hour'"
        " WHERE organization_id <> $1 AND status = 'PENDING'",
        org_id,
    )


async def test_an_event_is_delivered_signed_to_a_real_receiver(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        # given an endpoint for cycle events, with a generated secret
        created = await _register(gql, receiver.url, ["cycle.created"], secret=None)
        secret = created["secret"]
        assert secret.startswith("whsec_")
        # when a cycle is created (and a team, which it does not subscribe to)
        await gql.data(CREATE_CYCLE, {"name": "Q1"})
        await gql.data('mutation { createTeam(input: {name: "Ops"}) { userErrors { code } } }')
        await _only_ours(pool, org["id"])
        worker = WebhookWorker(worker_pool, _settings())
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        # then the receiver got one POST whose signature verifies with the secret
        assert len(receiver.requests) == 1
        headers, body = receiver.requests[0]
        message_id = verify_signature(secret, headers, body)
        event = httpx.Response(200, content=body).json()
        assert event["id"] == message_id == headers["webhook-id"]
        assert event["type"] == "cycle.created"
        assert event["data"]["subject"]["type"] == "Cycle"
        assert event["data"]["after"]["name"] == "Q1"
        # a wrong secret or a changed body does not verify
        with pytest.raises(InvalidSignatureError):
            verify_signature(SECRET, headers, body)
        with pytest.raises(InvalidSignatureError):
            verify_signature(secret, headers, body + b" ")
        # and the delivery is recorded as DELIVERED
        [delivery] = await _deliveries(gql)
        assert delivery["status"] == "DELIVERED"
        assert delivery["attempts"] == 1
        assert delivery["lastStatusCode"] == 204
        assert delivery["eventId"] == message_id
        assert delivery["eventType"] == "cycle.created"


def test_signature_matches_the_standard_webhooks_example() -> None:
    # the test vector of the Standard Webhooks specification
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected
    headers = {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": f"v1,bm9ldHUh {expected}",
    }
    assert verify_signature(secret, headers, body, now=1614265330)
    with pytest.raises(InvalidSignatureError):
        verify_signature(secret, headers, body, now=1614265330 + 3600)


async def test_a_receiver_that_is_down_gets_the_delivery_once_it_is_back(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an endpoint whose receiver is not listening yet
    receiver = Receiver()
    await _register(gql, receiver.url, ["cycle.created"])
    await gql.data(CREATE_CYCLE, {"name": "Q2"})
    await _only_ours(pool, org["id"])
    worker = WebhookWorker(worker_pool, _settings())
    try:
        # when the worker tries: refused, scheduled for a retry with backoff
        assert await worker.run_once() == 1
        [delivery] = await _deliveries(gql)
        assert (delivery["status"], delivery["attempts"]) == ("PENDING", 1)
        assert "Connect" in (delivery["lastError"] or "")
        assert await worker.run_once() == 0  # not due yet: the backoff holds it
        # when the receiver is back and the retry is due
        await receiver.start()
        deadline = time.monotonic() + 5
        while not receiver.requests and time.monotonic() < deadline:
            await worker.run_once()
            await asyncio.sleep(0.05)
    finally:
        await worker.stop()
        await receiver.stop()
    # then it was delivered, once
    assert len(receiver.requests) == 1
    verify_signature(SECRET, *receiver.requests[0])
    [delivery] = await _deliveries(gql)
    assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 2)


async def test_retries_end_in_failed_and_an_admin_can_redeliver(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving(status=500) as receiver:
        await _register(gql, receiver.url, ["cycle.created"])
        await gql.data(CREATE_CYCLE, {"name": "Q3"})
        await _only_ours(pool, org["id"])
        worker = WebhookWorker(worker_pool, _settings(webhook_max_attempts=2))
        try:
            # when the receiver keeps answering 500, the delivery fails after two attempts
            for _ in range(2):
                assert await worker.run_once() == 1
                await _drain(pool, org["id"])
            [delivery] = await _deliveries(gql)
            assert (delivery["status"], delivery["attempts"]) == ("FAILED", 2)
            assert delivery["lastStatusCode"] == 500
            assert await worker.run_once() == 0
            # when an admin redelivers it to a receiver that now accepts it
            receiver.status = 200
            data = await gql.data(
                "mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {"
                " delivery { status attempts } userErrors { code } } }",
                {"id": delivery["id"]},
            )
            assert data["redeliverWebhook"] == {
                "delivery": {"status": "PENDING", "attempts": 0},
                "userErrors": [],
            }
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        assert len(receiver.requests) == 3
        # every attempt carries the same webhook-id, for the receiver to de-duplicate
        assert len({h["webhook-id"] for h, _ in receiver.requests}) == 1
        [delivery] = await _deliveries(gql)
        assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 1)


async def test_a_rolled_back_change_is_never_delivered(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an endpoint for every event
    await _register(gql, "http://127.0.0.1:9/never", ["*"])
    before = await pool.fetchval(
        "SELECT count(*) FROM webhook_delivery WHERE organization_id = $1", org["id"]
    )
    # when a change commits, its delivery is there
    await gql.data(CREATE_CYCLE, {"name": "Q9"})
    committed = await pool.fetchval(
        "SELECT count(*) FROM webhook_delivery WHERE organization_id = $1", org["id"]
    )
    assert committed == before + 1
    # and a change whose transaction rolls back leaves none
    async with pool.acquire() as conn:
        tx = conn.transaction()
        await tx.start()
        await conn.execute(
            "INSERT INTO event (organization_id, type, subject_type, subject_id)"
            " VALUES ($1, 'cycle.created', 'Cycle', 1)",
            org["id"],
        )
        inside = await conn.fetchval(
            "SELECT count(*) FROM webhook_delivery WHERE organization_id = $1", org["id"]
        )
        await tx.rollback()
    assert inside == committed + 1  # written with the event, in its transaction
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM webhook_delivery WHERE organization_id = $1", org["id"]
        )
        == committed
    )


async def test_two_workers_never_deliver_one_event_twice(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        await _register(gql, receiver.url, ["cycle.created"])
        for i in range(12):
            await gql.data(CREATE_CYCLE, {"name": f"C{i}"})
        await _only_ours(pool, org["id"])
        settings = _settings(webhook_batch_size=3)
        first, second = WebhookWorker(worker_pool, settings), WebhookWorker(worker_pool, settings)
        try:
            # when two workers poll the same database at once until nothing is due
            for _ in range(10):
                counts = await asyncio.gather(first.run_once(), second.run_once())
                if counts == [0, 0]:
                    break
        finally:
            await first.stop()
            await second.stop()
        # then each event reached the receiver exactly once
        ids = [h["webhook-id"] for h, _ in receiver.requests]
        assert len(ids) == 12
        assert len(set(ids)) == 12
        statuses = {d["status"] for d in await _deliveries(gql)}
        assert statuses == {"DELIVERED"}


async def test_a_worker_killed_mid_delivery_is_covered_by_the_next_one(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], database_url: str, org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        await _register(gql, receiver.url, ["cycle.created"])
        await gql.data(CREATE_CYCLE, {"name": "Q4"})
        await _only_ours(pool, org["id"])
        settings = _settings(webhook_lease=0.5)
        # given a worker that claimed the delivery and died before sending or recording it
        # (its own pool, closed as a killed process's connections would be)
        doomed_pool = await create_pool(database_url, min_size=1, max_size=1, role="okrql_app")
        from db import webhooks as db

        claimed = await db.claim(doomed_pool, batch=10, lease_seconds=settings.webhook_lease)
        assert len(claimed) == 1
        doomed_pool.terminate()
        survivor_pool = await create_pool(database_url, min_size=1, max_size=2, role="okrql_app")
        survivor = WebhookWorker(survivor_pool, settings)
        try:
            # while the claim's lease holds, nobody else sends it
            assert await survivor.run_once() == 0
            # once it expired, the next worker delivers it
            await asyncio.sleep(0.6)
            assert await survivor.run_once() == 1
        finally:
            await survivor.stop()
            await survivor_pool.close()
        assert len(receiver.requests) == 1
        [delivery] = await _deliveries(gql)
        assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 2)


async def test_the_app_runs_the_worker_in_its_lifespan(
    database_url: str, gql: GraphQLClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        await _register(gql, receiver.url, ["cycle.created"])
        await _only_ours(pool, org["id"])
        # given an app started with its webhook worker
        app = create_app(_settings(), url=database_url, webhook_worker=True)
        async with app.router.lifespan_context(app):
            # when a change commits, the worker delivers it without being asked
            await gql.data(CREATE_CYCLE, {"name": "Q5"})
            await asyncio.wait_for(receiver.received.wait(), 5)
        assert len(receiver.requests) == 1


async def test_endpoints_are_validated_admin_only_and_deletable(
    gql: GraphQLClient, http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    data = await gql.data(
        CREATE_ENDPOINT, {"url": "ftp://x", "types": ["Bad Type"], "secret": "nope"}
    )
    errors = data["createWebhookEndpoint"]["userErrors"]
    assert [(e["field"], e["code"]) for e in errors] == [
        (["input", "url"], "INVALID"),
        (["input", "eventTypes"], "INVALID"),
        (["input", "secret"], "INVALID"),
    ]
    created = await _register(gql, "https://hooks.example/okrql", ["check_in.created"])
    assert created["secret"] is None  # the caller chose it: not echoed
    endpoint_id = created["webhookEndpoint"]["id"]
    # a member sees no endpoints and may not create one
    member = await pool.fetchval(
        "INSERT INTO app_user (name, email) VALUES ('Mo', $1) RETURNING id",
        f"mo+{org['slug']}@test.example",
    )
    await pool.execute(
        "INSERT INTO membership (organization_id, user_id, role) VALUES ($1, $2, 'MEMBER')",
        org["id"],
        member,
    )
    # the API role cannot read a secret back, even with a bound organisation
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL ROLE okrql_app")
        await conn.execute(f"SELECT set_config('okrql.organization_id', '{org['id']}', true)")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT secret FROM webhook_endpoint")
    deleted = await gql.data(
        "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedId userErrors { code } } }",
        {"id": endpoint_id},
    )
    assert deleted["deleteWebhookEndpoint"] == {"deletedId": endpoint_id, "userErrors": []}
    again = await gql.data(
        "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedId userErrors { code } } }",
        {"id": endpoint_id},
    )
    assert again["deleteWebhookEndpoint"]["userErrors"] == [{"code": "NOT_FOUND"}]
