"""GraphQL over Server-Sent Events (graphql-sse): both modes, through the ASGI app where a
stream ends by itself, and through a real uvicorn instance where it lasts (subscriptions, the
single connection) until the client goes away."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from tests.api.test_faults import running_app
from tests.arrange import objective_tree
from tests.servers import serving

STREAM = {"accept": "text/event-stream"}
CYCLES = "{ cycles(first: 5) { totalCount } }"
CREATE_TEAM = """mutation($name: String!) {
  createTeam(input: {name: $name}) { team { name } userErrors { code } } }"""
SUBSCRIBE = """subscription ($filter: SubscriptionFilter) {
  checkInCreated(filter: $filter) { checkIn { value } } }"""
CHECK_IN = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) { checkIn { id } userErrors { code } } }"""


class Events:
    """The events of a streamed response, read as the SSE specification reads them; comments
    (keep-alives) are events of their own, named ":"."""

    def __init__(self, response: httpx.Response) -> None:
        self._lines = response.aiter_lines()

    async def next(self, *, comments: bool = False) -> tuple[str, Any]:
        name, data = "message", None
        async for line in self._lines:
            if line.startswith(":"):
                if comments:
                    return ":", None
                continue
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                text = line[5:].strip()
                data = json.loads(text) if text else None
            elif line == "" and name != "message":
                return name, data
        raise AssertionError("the stream ended")

    async def take(self, count: int) -> list[tuple[str, Any]]:
        return [await asyncio.wait_for(self.next(), 15) for _ in range(count)]


async def _stream_all(
    client: httpx.AsyncClient, method: str, url: str, **kwargs: Any
) -> tuple[httpx.Response, list[tuple[str, Any]]]:
    """A stream that ends by itself (one result): its response and all its events."""
    async with client.stream(method, url, **kwargs) as response:
        if not response.headers.get("content-type", "").startswith("text/event-stream"):
            await response.aread()
            return response, []
        events = Events(response)
        received = []
        with contextlib.suppress(AssertionError):
            while True:
                received.append(await asyncio.wait_for(events.next(), 15))
    return response, received


def _headers(org: dict[str, Any], **more: str) -> dict[str, str]:
    return {**STREAM, "x-organization": org["slug"], **more}


# -- distinct connections, single results (ASGI app) --------------------------------------


@pytest.mark.parametrize("path", ["/graphql/stream", "/graphql"])
async def test_a_query_asked_as_an_event_stream_is_one_next_event_then_complete(
    http: httpx.AsyncClient, org: dict[str, Any], path: str
) -> None:
    response, events = await _stream_all(
        http, "POST", path, json={"query": CYCLES}, headers=_headers(org)
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    [(name, result), complete] = events
    assert name == "next"
    # the same answer as POST /graphql gives, extensions (the cost) included
    plain = await http.post(
        "/graphql", json={"query": CYCLES}, headers={"x-organization": org["slug"]}
    )
    assert result == plain.json()
    assert result["data"] == {"cycles": {"totalCount": 0}}
    assert complete == ("complete", None)


async def test_a_query_may_come_as_get_with_url_parameters(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response, events = await _stream_all(
        http, "GET", "/graphql/stream", params={"query": CYCLES}, headers=_headers(org)
    )
    assert response.status_code == 200
    assert [name for name, _ in events] == ["next", "complete"]
    assert events[0][1]["data"] == {"cycles": {"totalCount": 0}}


async def test_a_mutation_over_an_event_stream_writes_once_and_answers_its_payload(
    http: httpx.AsyncClient, org: dict[str, Any], pool: asyncpg.Pool[Any]
) -> None:
    body = {"query": CREATE_TEAM, "variables": {"name": "Growth"}}
    _, events = await _stream_all(http, "POST", "/graphql/stream", json=body, headers=_headers(org))
    assert events[0][1]["data"]["createTeam"] == {"team": {"name": "Growth"}, "userErrors": []}
    teams = await pool.fetchval("SELECT count(*) FROM team WHERE organization_id = $1", org["id"])
    assert teams == 1
    # and a mutation over GET is refused as on /graphql: 405, no stream
    response, events = await _stream_all(
        http, "GET", "/graphql/stream", params={"query": "mutation { __typename }"},
        headers=_headers(org),
    )  # fmt: skip
    assert response.status_code == 405
    assert events == []


async def test_request_errors_are_next_events_with_the_codes_of_post_graphql(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    for query in (
        "{ cycles(first: 5) { nope } }",
        "{ cycles(",
        "{ cycles(first: 100000) { totalCount } }",
    ):
        response, events = await _stream_all(
            http, "POST", "/graphql/stream", json={"query": query}, headers=_headers(org)
        )
        plain = await http.post(
            "/graphql",
            json={"query": query},
            headers={"x-organization": org["slug"], "accept": "application/graphql-response+json"},
        )
        assert plain.status_code == 400, plain.text
        # the protocol: the stream is accepted, the errors are its `next` event
        assert response.status_code == 200
        assert events == [("next", plain.json()), ("complete", None)]
        assert "data" not in events[0][1]


async def test_who_may_call_is_decided_as_on_post_graphql_before_any_stream_opens(
    http: httpx.AsyncClient,
) -> None:
    unknown = {"x-organization": "nobody-here"}
    plain = await http.post("/graphql", json={"query": CYCLES}, headers=unknown)
    assert plain.status_code == 401
    for body in ({"query": CYCLES}, {"query": SUBSCRIBE}):
        response, events = await _stream_all(
            http, "POST", "/graphql/stream", json=body, headers={**STREAM, **unknown}
        )
        # the status, its headers and the coded error of POST /graphql, and no stream
        assert response.status_code == 401
        assert events == []
        assert response.json()["errors"] == plain.json()["errors"]
        assert response.headers.get("www-authenticate") == plain.headers.get("www-authenticate")


async def test_malformed_requests_are_http_errors(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql/stream",
        content=b"{",
        headers={**_headers(org), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    response = await http.post(
        "/graphql/stream",
        content=b"x" * 2_000_000,
        headers={**_headers(org), "content-type": "application/json"},
    )
    assert response.status_code == 413
    response = await http.post(
        "/graphql/stream",
        json={"query": CYCLES},
        headers={**_headers(org), "accept": "application/xml"},
    )
    assert response.status_code == 406


async def test_the_rate_limit_of_post_graphql_holds_for_event_streams(
    database_url: str, org: dict[str, Any]
) -> None:
    # a bucket of 1 point refilled slowly: the first request passes, the second is limited
    async with running_app(
        database_url, rate_limit_capacity=1, rate_limit_refill_per_second=0.001
    ) as (_, client):
        first, events = await _stream_all(
            client, "POST", "/graphql/stream", json={"query": CYCLES},
            headers=_headers(org),
        )  # fmt: skip
        assert first.status_code == 200
        assert events[0][1]["data"] == {"cycles": {"totalCount": 0}}
        limited, events = await _stream_all(
            client, "POST", "/graphql/stream", json={"query": CYCLES}, headers=_headers(org)
        )
    assert limited.status_code == 429
    assert limited.headers["retry-after"]
    assert limited.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert events == []


# -- single connection: reservations (ASGI app) -------------------------------------------


async def test_a_reservation_answers_operations_only_with_its_token_and_an_operation_id(
    http: httpx.AsyncClient, org: dict[str, Any], demo_organization: int
) -> None:
    reserved = await http.put("/graphql/stream", headers={"x-organization": org["slug"]})
    assert reserved.status_code == 201
    assert reserved.headers["content-type"].startswith("text/plain")
    token = reserved.text
    with_token = {"x-organization": org["slug"], "x-graphql-event-stream-token": token}
    # an operation without an id cannot be told apart on the stream
    response = await http.post("/graphql/stream", json={"query": CYCLES}, headers=with_token)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # with one it is accepted (its result waits on the stream)
    ok = {"query": CYCLES, "extensions": {"operationId": "q1"}}
    assert (await http.post("/graphql/stream", json=ok, headers=with_token)).status_code == 202
    # a bad subscription is refused on the POST itself, as over HTTP
    bad = {"query": SUBSCRIBE, "variables": {"filter": {"keyResultId": "garbage"}},
           "extensions": {"operationId": "s1"}}  # fmt: skip
    response = await http.post("/graphql/stream", json=bad, headers=with_token)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # an unknown token, or another caller's, names no stream
    response = await http.post(
        "/graphql/stream", json=ok,
        headers={"x-organization": org["slug"], "x-graphql-event-stream-token": "nope"},
    )  # fmt: skip
    assert response.status_code == 404
    response = await http.post(
        "/graphql/stream", json=ok,
        headers={"x-organization": "demo", "x-graphql-event-stream-token": token},
    )  # fmt: skip
    assert response.status_code == 404
    # a reservation needs a caller
    assert (
        await http.put("/graphql/stream", headers={"x-organization": "nobody"})
    ).status_code == 401


async def test_api_credentials_in_the_stream_url_are_refused(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql/stream?api_key=abc", json={"query": CYCLES}, headers=STREAM
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


# -- subscriptions and the single connection (real uvicorn) ---------------------------------


@pytest.fixture
async def kr(pool: asyncpg.Pool[Any], org: dict[str, Any]) -> str:
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        kr_id = await conn.fetchval(
            "SELECT min(id) FROM key_result WHERE organization_id = $1", org["id"]
        )
    return encode_id("KeyResult", kr_id)


@contextlib.asynccontextmanager
async def _server(
    database_url: str, **settings: Any
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(Settings(environment="development", **settings), url=database_url)
    async with (
        serving(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=15) as client,
    ):
        yield app, client


async def _check_in(client: httpx.AsyncClient, org: dict[str, Any], kr: str, value: str) -> None:
    response = await client.post(
        "/graphql",
        json={
            "query": CHECK_IN,
            "variables": {"input": {"keyResultId": kr, "value": value, "confidence": "ON_TRACK"}},
        },
        headers={"x-organization": org["slug"]},
    )
    assert response.json()["data"]["createCheckIn"]["userErrors"] == [], response.text


async def _until(condition: Any) -> None:
    """Wait (bounded) until `condition()` holds."""
    for _ in range(300):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition never held")


async def test_a_subscription_streams_until_the_client_goes_away(
    database_url: str, org: dict[str, Any], kr: str
) -> None:
    async with _server(database_url, event_stream_keep_alive=0.05) as (app, client):
        body = {"query": SUBSCRIBE, "variables": {"filter": {"keyResultId": kr}}}
        async with client.stream(
            "POST", "/graphql/stream", json=body, headers=_headers(org)
        ) as response:
            assert response.status_code == 200
            events = Events(response)
            # keep-alive comments while nothing happens
            assert await asyncio.wait_for(events.next(comments=True), 15) == (":", None)
            assert await asyncio.wait_for(events.next(comments=True), 15) == (":", None)
            await _until(lambda: app.state.hub.subscriber_count(org["id"]) == 1)
            await _check_in(client, org, kr, "41")
            await _check_in(client, org, kr, "42")
            assert await events.take(2) == [
                ("next", {"data": {"checkInCreated": {"checkIn": {"value": "41"}}}}),
                ("next", {"data": {"checkInCreated": {"checkIn": {"value": "42"}}}}),
            ]
        # the client went away: its subscription ends with it
        await _until(lambda: app.state.hub.subscriber_count(org["id"]) == 0)


async def test_a_bad_subscription_is_a_next_event_with_errors_then_complete(
    database_url: str, org: dict[str, Any]
) -> None:
    async with _server(database_url) as (_, client):
        body = {"query": SUBSCRIBE, "variables": {"filter": {"keyResultId": "garbage"}}}
        response, events = await _stream_all(
            client, "POST", "/graphql", json=body, headers=_headers(org)
        )
    assert response.status_code == 200
    [(name, result), complete] = events
    assert name == "next"
    assert result["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert complete == ("complete", None)


async def test_one_connection_carries_queries_and_subscriptions_by_operation_id(
    database_url: str, org: dict[str, Any], kr: str
) -> None:
    async with _server(database_url) as (app, client):
        token = (await client.put("/graphql/stream", headers={"x-organization": org["slug"]})).text
        with_token = {"x-organization": org["slug"], "x-graphql-event-stream-token": token}
        # EventSource sends no headers: the token may come in the URL
        async with client.stream(
            "GET", "/graphql/stream", params={"token": token}, headers=STREAM
        ) as response:
            assert response.status_code == 200
            events = Events(response)
            # only one connection per reservation
            second = await client.get("/graphql/stream", headers={**STREAM, **with_token})
            assert second.status_code == 409
            subscribe = {"query": SUBSCRIBE, "variables": {"filter": {"keyResultId": kr}},
                         "extensions": {"operationId": "live"}}  # fmt: skip
            posted = await client.post("/graphql/stream", json=subscribe, headers=with_token)
            assert posted.status_code == 202
            posted = await client.post(
                "/graphql/stream",
                json={"query": CYCLES, "extensions": {"operationId": "q"}},
                headers=with_token,
            )
            assert posted.status_code == 202
            [(name, result), complete] = await events.take(2)
            assert (name, result["id"]) == ("next", "q")
            assert result["payload"]["data"] == {"cycles": {"totalCount": 1}}
            assert complete == ("complete", {"id": "q"})
            await _check_in(client, org, kr, "7")
            assert await events.take(1) == [
                (
                    "next",
                    {
                        "id": "live",
                        "payload": {"data": {"checkInCreated": {"checkIn": {"value": "7"}}}},
                    },
                )
            ]
            # a running id may not be reused
            again = await client.post("/graphql/stream", json=subscribe, headers=with_token)
            assert again.status_code == 409
            stopped = await client.delete(
                "/graphql/stream", params={"operationId": "live"}, headers=with_token
            )
            assert stopped.status_code == 200
            assert await events.take(1) == [("complete", {"id": "live"})]
            assert app.state.hub.subscriber_count(org["id"]) == 0
            # another subscription on the stream, left running
            subscribe["extensions"] = {"operationId": "live-2"}
            assert (
                await client.post("/graphql/stream", json=subscribe, headers=with_token)
            ).status_code == 202
            assert app.state.hub.subscriber_count(org["id"]) == 1
        # the client went away: its subscriptions end and the token is spent
        await _until(lambda: app.state.hub.subscriber_count(org["id"]) == 0)
        await _until(lambda: token not in app.state.event_streams)
        gone = await client.post(
            "/graphql/stream", json={"query": CYCLES, "extensions": {"operationId": "late"}},
            headers=with_token,
        )  # fmt: skip
        assert gone.status_code == 404


async def test_starting_a_subscription_is_priced_and_rate_limited_as_a_query_is(
    database_url: str, org: dict[str, Any]
) -> None:
    # over the cost limit: refused with the code /graphql gives a costly query
    async with running_app(database_url, max_query_cost=1) as (_, client):
        response, events = await _stream_all(
            client, "POST", "/graphql/stream", json={"query": SUBSCRIBE}, headers=_headers(org)
        )
        costly = await client.post(
            "/graphql",
            json={"query": "{ cycles(first: 5) { nodes { name } } }"},
            headers={"x-organization": org["slug"]},
        )
    assert response.status_code == 200
    [(name, result), complete] = events
    assert name == "next"
    assert result["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert complete == ("complete", None)
    # a caller out of points: the second start is answered 429, as a query would be
    async with running_app(
        database_url, rate_limit_capacity=1, rate_limit_refill_per_second=0.001
    ) as (_, client):
        token = (await client.put("/graphql/stream", headers={"x-organization": org["slug"]})).text
        with_token = {"x-organization": org["slug"], "x-graphql-event-stream-token": token}
        statuses = []
        for op_id in ("a", "b"):
            body = {"query": SUBSCRIBE, "extensions": {"operationId": op_id}}
            posted = await client.post("/graphql/stream", json=body, headers=with_token)
            statuses.append(posted.status_code)
    assert statuses == [202, 429]
    assert posted.headers["retry-after"]
    assert posted.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
