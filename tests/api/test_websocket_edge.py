"""The WebSocket's edge: the Origin allow-list (the one CORS uses, api/cors.py), messages that
are no protocol message (closed with 4400, never abnormally), and coded subscribe errors."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from api.app import create_app
from api.settings import Settings
from tests.servers import serving

SUBPROTOCOL = "graphql-transport-ws"


@contextlib.asynccontextmanager
async def _instance(database_url: str, **settings: Any) -> AsyncIterator[int]:
    settings.setdefault("environment", "development")
    app = create_app(Settings(webhook_worker=False, **settings), url=database_url)
    async with serving(app) as port:
        yield port


def _connect(port: int, origin: str | None = None) -> Any:
    return websockets.connect(
        f"ws://127.0.0.1:{port}/graphql",
        subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
        origin=origin,  # type: ignore[arg-type]
    )


async def _acknowledged(ws: ClientConnection, organization: str) -> None:
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"X-Organization": organization}})
    )
    assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"type": "connection_ack"}


async def _close_code(ws: ClientConnection) -> int | None:
    with contextlib.suppress(websockets.ConnectionClosed):
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    return ws.close_code


@pytest.mark.parametrize("environment", ["development", "production"])
async def test_a_foreign_origin_is_refused_at_the_handshake(
    database_url: str, environment: str
) -> None:
    async with _instance(database_url, environment=environment) as port:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with _connect(port, "https://evil.example"):
                pass
    assert refused.value.response.status_code == 403


async def test_allowed_and_own_origins_and_non_browsers_are_served(
    database_url: str, org: dict[str, Any]
) -> None:
    async with _instance(database_url, cors_origins="https://app.example.com") as port:
        for origin in ("https://app.example.com", f"http://127.0.0.1:{port}", None):
            async with _connect(port, origin) as ws:
                await _acknowledged(ws, org["slug"])
        # the development default no longer applies once a list is set
        with pytest.raises(websockets.InvalidStatus):
            async with _connect(port, "http://localhost:3000"):
                pass


async def test_the_development_default_allows_local_dev_servers(
    database_url: str, org: dict[str, Any]
) -> None:
    async with _instance(database_url) as port, _connect(port, "http://localhost:5173") as ws:
        await _acknowledged(ws, org["slug"])


def _deep(levels: int) -> str:
    return '{"type": "connection_init", "payload": {"a": ' + "[" * levels + "]" * levels + "}}"


@pytest.mark.parametrize(
    "frame",
    [b"\x00binary", b'{"type": "connection_init"}', _deep(5_000), _deep(100_000), "[]", "nope"],
    ids=["binary", "json-as-binary", "deep", "very-deep", "not-an-object", "not-json"],
)
@pytest.mark.parametrize("when", ["first", "after-ack"])
async def test_a_frame_that_is_no_message_closes_with_4400(
    database_url: str, org: dict[str, Any], frame: str | bytes, when: str
) -> None:
    async with _instance(database_url) as port, _connect(port) as ws:
        if when == "after-ack":
            await _acknowledged(ws, org["slug"])
        await ws.send(frame)
        assert await _close_code(ws) == 4400


async def test_a_deep_subscribe_payload_closes_with_4400(
    database_url: str, org: dict[str, Any]
) -> None:
    async with _instance(database_url) as port, _connect(port) as ws:
        await _acknowledged(ws, org["slug"])
        variables = '{"a": ' + "[" * 2_000 + "]" * 2_000 + "}"
        await ws.send(
            '{"id": "1", "type": "subscribe", "payload": {"query": "subscription { checkInCreated'
            ' { checkIn { id } } }", "variables": ' + variables + "}}"
        )
        assert await _close_code(ws) == 4400


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"query": "subscription { checkInCreated { checkIn { id } }"}, "GRAPHQL_PARSE_FAILED"),
        ({"query": "subscription { nope }"}, "GRAPHQL_VALIDATION_FAILED"),
        ({"query": "{ viewer { id } }"}, "OPERATION_NOT_SUPPORTED"),
        ({"query": "subscription A { checkInCreated { checkIn { id } } }",
          "operationName": "B"}, "OPERATION_NOT_FOUND"),
        ({"query": "subscription ($f: SubscriptionFilter) { checkInCreated(filter: $f)"
                   " { checkIn { id } } }", "variables": {"f": {"nope": 1}}}, "BAD_USER_INPUT"),
        ({"query": 1}, "BAD_REQUEST"),
        ({"query": "subscription { checkInCreated { checkIn { id } } }", "variables": []},
         "BAD_REQUEST"),
    ],
)  # fmt: skip
async def test_subscribe_errors_are_coded(
    database_url: str, org: dict[str, Any], payload: dict[str, Any], code: str
) -> None:
    async with _instance(database_url) as port, _connect(port) as ws:
        await _acknowledged(ws, org["slug"])
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
    assert message["type"] == "error"
    assert [e["extensions"]["code"] for e in message["payload"]] == [code] * len(message["payload"])


SUBSCRIBE = "subscription { checkInCreated { checkIn { id } } }"


async def _started(ws: ClientConnection, op_id: str) -> dict[str, Any] | None:
    """The error refusing a subscription, or None when it runs (answered by a ping's pong)."""
    await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": SUBSCRIBE}}))
    await ws.send(json.dumps({"type": "ping"}))
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 5))
    if message["type"] == "pong":
        return None
    await asyncio.wait_for(ws.recv(), 5)  # the pong
    return message


async def test_starting_a_subscription_is_priced_and_rate_limited_as_a_query_is(
    database_url: str, org: dict[str, Any]
) -> None:
    # over the cost limit: refused with the code a costly query gets over HTTP
    async with _instance(database_url, max_query_cost=1) as port, _connect(port) as ws:
        await _acknowledged(ws, org["slug"])
        refused = await _started(ws, "1")
    assert refused is not None
    assert refused["payload"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    # a caller out of points: the second start is refused until the bucket has room again
    async with (
        _instance(database_url, rate_limit_capacity=1, rate_limit_refill_per_second=0.001) as port,
        _connect(port) as ws,
    ):
        await _acknowledged(ws, org["slug"])
        first, second = await _started(ws, "a"), await _started(ws, "b")
    assert first is None
    assert second is not None
    [error] = second["payload"]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] >= 1
