"""Webhook delivery attempts (their history, read by admins) and the webhook URL policy, with a
real HTTP receiver on 127.0.0.1 (tests/api/test_webhooks.py's) and workers driven step by step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from api.webhooks.egress import pinned
from api.webhooks.worker import BODY_MAX, WebhookWorker
from db.ids import encode_id
from tests.api.test_webhooks import (
    CREATE_CYCLE,
    CREATE_ENDPOINT,
    Receiver,
    _drain,
    _only_ours,
    _register,
    _settings,
    receiving,
    worker_pool,
)
from tests.graphql import GraphQLClient
from tests.signin import Caller, member, signin_http

__all__ = ["signin_http", "worker_pool"]  # fixtures this module uses

ATTEMPT_FIELDS = "id number startedAt durationMs succeeded statusCode error responseBody"
HISTORY = f"""query($first: Int!, $after: String) {{ webhookEndpoints(first: 5) {{ nodes {{
  deliveries(first: 5) {{ nodes {{ id status attempts
    attemptHistory(first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage }}
      edges {{ cursor node {{ {ATTEMPT_FIELDS} delivery {{ id }} }} }} }} }} }} }} }} }}"""
REDELIVER = """mutation($id: ID!) { redeliverWebhook(input: {deliveryId: $id}) {
  delivery { status attempts attemptHistory(first: 10) { totalCount } } userErrors { code } } }"""


async def _delivery(
    gql: GraphQLClient, first: int = 10, after: str | None = None
) -> dict[str, Any]:
    data = await gql.data(HISTORY, {"first": first, "after": after})
    [delivery] = [d for e in data["webhookEndpoints"]["nodes"] for d in e["deliveries"]["nodes"]]
    return delivery  # type: ignore[no-any-return]


async def test_each_attempt_is_listed_newest_first_and_a_redelivery_adds_to_them(
    gql: GraphQLClient,
    http: httpx.AsyncClient,
    pool: asyncpg.Pool[Any],
    worker_pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    # given an endpoint whose receiver is not listening yet
    receiver = Receiver(status=500, body=b"upstream broke")
    await _register(gql, receiver.url, ["cycle.created"])
    await gql.data(CREATE_CYCLE, {"name": "Q1"})
    await _only_ours(pool, org["id"])
    worker = WebhookWorker(worker_pool, _settings(webhook_max_attempts=5))
    long_answer = "å" * BODY_MAX  # two bytes a character: cut in half
    try:
        # when the first attempt finds nobody listening, the second gets a 500 and the third
        # a 200 with a long answer
        assert await worker.run_once() == 1
        await receiver.start()
        await _drain(pool, org["id"])
        assert await worker.run_once() == 1
        receiver.status, receiver.body = 200, long_answer.encode()
        await _drain(pool, org["id"])
        assert await worker.run_once() == 1
    finally:
        await worker.stop()
        await receiver.stop()
    assert len(receiver.requests) == 2

    # then each attempt is listed, newest first, with its outcome
    delivery = await _delivery(gql)
    assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 3)
    history = delivery["attemptHistory"]
    assert (history["totalCount"], history["pageInfo"]["hasNextPage"]) == (3, False)
    attempts = [e["node"] for e in history["edges"]]
    assert [(a["number"], a["succeeded"], a["statusCode"]) for a in attempts] == [
        (3, True, 200),
        (2, False, 500),
        (1, False, None),
    ]
    delivered, answered, refused = attempts
    assert delivered["error"] is None
    assert delivered["responseBody"] == long_answer[: BODY_MAX // 2]
    assert answered["error"] == "HTTP 500"
    assert answered["responseBody"] == "upstream broke"
    assert refused["error"].startswith("ConnectError")
    assert refused["responseBody"] is None
    assert all(a["durationMs"] >= 0 for a in attempts)
    started = [dt.datetime.fromisoformat(a["startedAt"]) for a in attempts]
    assert started == sorted(started, reverse=True)
    assert {a["delivery"]["id"] for a in attempts} == {delivery["id"]}

    # and the history pages with cursors
    page = (await _delivery(gql, first=1, after=history["edges"][0]["cursor"]))["attemptHistory"]
    assert [e["node"]["number"] for e in page["edges"]] == [2]
    assert page["pageInfo"]["hasNextPage"] is True

    # and an attempt is a node
    node = await gql.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on WebhookDeliveryAttempt {{ {ATTEMPT_FIELDS} }} }} }}",
        {"id": answered["id"]},
    )
    assert node["node"] == {k: v for k, v in answered.items() if k != "delivery"}

    # when an admin redelivers it, the retry budget starts again but the history is kept
    redelivered = await gql.data(REDELIVER, {"id": delivery["id"]})
    assert redelivered["redeliverWebhook"] == {
        "delivery": {"status": "PENDING", "attempts": 0, "attemptHistory": {"totalCount": 3}},
        "userErrors": [],
    }
    async with receiving(port=receiver.port, status=202) as again:
        worker = WebhookWorker(worker_pool, _settings())
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        assert len(again.requests) == 1
    delivery = await _delivery(gql)
    assert (delivery["status"], delivery["attempts"]) == ("DELIVERED", 1)
    numbers = [
        (e["node"]["number"], e["node"]["statusCode"]) for e in delivery["attemptHistory"]["edges"]
    ]
    assert numbers == [(4, 202), (3, 200), (2, 500), (1, None)]

    # and deleting the endpoint takes its deliveries' history with it
    endpoint = await gql.data("{ webhookEndpoints(first: 1) { nodes { id } } }")
    endpoint_id = endpoint["webhookEndpoints"]["nodes"][0]["id"]
    deleted = await gql.data(
        "mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { userErrors { code } } }",
        {"id": endpoint_id},
    )
    assert deleted["deleteWebhookEndpoint"]["userErrors"] == []
    left = await pool.fetchval(
        "SELECT count(*) FROM webhook_delivery_attempt WHERE organization_id = $1", org["id"]
    )
    assert left == 0


async def test_attempts_are_for_admins_only(
    gql: GraphQLClient,
    pool: asyncpg.Pool[Any],
    worker_pool: asyncpg.Pool[Any],
    signin_http: httpx.AsyncClient,
    org: dict[str, Any],
) -> None:
    # given a delivery with one attempt, and a member and a viewer of the organisation
    async with receiving() as receiver:
        await _register(gql, receiver.url, ["cycle.created"])
        await gql.data(CREATE_CYCLE, {"name": "Q2"})
        await _only_ours(pool, org["id"])
        worker = WebhookWorker(worker_pool, _settings())
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
    attempt_id = (await _delivery(gql))["attemptHistory"]["edges"][0]["node"]["id"]
    await member(pool, org, "Mia", "MEMBER")
    await member(pool, org, "Vic", "VIEWER")
    query = "query($id: ID!) { node(id: $id) { ... on WebhookDeliveryAttempt { number } } }"
    for name in ("Mia", "Vic"):
        caller = Caller.person(signin_http, org, name)
        # when they read the attempt by id, it is FORBIDDEN on both executors
        for standard in (False, True):
            body = await caller(query, {"id": attempt_id}, standard=standard)
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body
    # and an admin reads it
    assert (await gql.data(query, {"id": attempt_id}))["node"] == {"number": 1}


async def test_a_host_that_resolves_to_a_private_address_is_not_contacted(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        # given an endpoint registered by name while private hosts were allowed (development),
        # whose name now resolves to the machine itself
        await _register(gql, f"http://localhost:{receiver.port}/hooks", ["cycle.created"])
        await gql.data(CREATE_CYCLE, {"name": "Q3"})
        await _only_ours(pool, org["id"])
        # when a worker whose policy refuses private hosts delivers it
        worker = WebhookWorker(worker_pool, _settings(webhook_allow_private_hosts=False))
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
        # then nothing reached the receiver, and the attempt says why
        assert receiver.requests == []
    delivery = await _delivery(gql)
    assert (delivery["status"], delivery["attempts"]) == ("PENDING", 1)
    [attempt] = [e["node"] for e in delivery["attemptHistory"]["edges"]]
    assert (attempt["succeeded"], attempt["statusCode"]) == (False, None)
    assert attempt["error"].startswith("not sent: localhost resolves to ")
    assert "not a public address (OKRQL_WEBHOOK_ALLOW_PRIVATE_HOSTS is off)" in attempt["error"]


async def test_a_pinned_request_reaches_the_checked_address_with_its_host_header() -> None:
    # given a receiver, and a URL whose host name resolves nowhere
    async with receiving(status=200) as receiver:
        url = httpx.URL(f"http://hooks.invalid:{receiver.port}/hooks")
        # when the request is pinned to the receiver's address (the one a check approved)
        target, headers, extensions = pinned(url, "127.0.0.1")
        async with httpx.AsyncClient(trust_env=False) as client:
            response = await client.post(
                target, content=b"{}", headers=headers, extensions=extensions
            )
    # then it arrived without resolving the name, as a request for that host
    assert response.status_code == 200
    [(received, body)] = receiver.requests
    assert (received["host"], body) == (f"hooks.invalid:{receiver.port}", b"{}")


@pytest.fixture(scope="module")
async def strict_http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The API of a deployment whose URL policy is production's: https only, public hosts."""
    settings = Settings(
        environment="development", webhook_allow_http=False, webhook_allow_private_hosts=False
    )
    app = create_app(settings, url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
            yield c


@pytest.fixture
def strict(strict_http: httpx.AsyncClient, org: dict[str, Any]) -> GraphQLClient:
    return GraphQLClient(strict_http, org["slug"])


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/okrql", "URL_NOT_HTTPS"),
        ("https://crm:hunter2@hooks.example.com/okrql", "URL_HAS_CREDENTIALS"),
        ("https://hooks.example.com/okrql#events", "URL_HAS_FRAGMENT"),
        ("https://hooks.example.com/" + "x" * 2000, "TOO_LONG"),
        ("https://localhost/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://127.0.0.1:8000/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://10.1.2.3/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://169.254.169.254/latest/meta-data/", "URL_HOST_NOT_ALLOWED"),
        ("https://[::1]/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://0x7f.1/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://[64:ff9b::7f00:1]/h", "URL_HOST_NOT_ALLOWED"),
        ("https://[2002:7f00:1::]/h", "URL_HOST_NOT_ALLOWED"),
        ("https://[::127.0.0.1]/h", "URL_HOST_NOT_ALLOWED"),
        ("https://[::ffff:127.0.0.1]/h", "URL_HOST_NOT_ALLOWED"),
        ("https://hooks.example.com:http/okrql", "INVALID"),
    ],
)
async def test_create_webhook_endpoint_refuses_urls_the_policy_forbids(
    strict: GraphQLClient, url: str, code: str
) -> None:
    # when an admin registers the URL, it is refused on the url field, with its code
    data = await strict.data(CREATE_ENDPOINT, {"url": url, "types": ["*"], "secret": None})
    payload = data["createWebhookEndpoint"]
    assert payload["webhookEndpoint"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "url"], code)]
    # and nothing was registered
    listed = await strict.data("{ webhookEndpoints(first: 5) { totalCount } }")
    assert listed["webhookEndpoints"]["totalCount"] == 0


async def test_an_upper_case_scheme_is_accepted_and_stored_in_lower_case(
    strict: GraphQLClient,
) -> None:
    # given an admin who types the scheme in capitals
    payload = await _register(strict, "HTTPS://hooks.example.com/Okrql", ["*"])
    # then the endpoint is registered, its scheme normalised and the rest kept
    assert payload["userErrors"] == []
    assert payload["webhookEndpoint"]["url"] == "https://hooks.example.com/Okrql"
    # and so is a move to such a URL
    moved = await strict.data(
        UPDATE_ENDPOINT,
        {"input": {"id": payload["webhookEndpoint"]["id"], "url": "HtTpS://hooks.example.com/x"}},
    )
    assert moved["updateWebhookEndpoint"]["webhookEndpoint"]["url"] == "https://hooks.example.com/x"


UPDATE_ENDPOINT = """mutation($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) {
    webhookEndpoint { id url eventTypes active } userErrors { field code } } }"""


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.com/okrql", "URL_NOT_HTTPS"),
        ("https://crm:hunter2@hooks.example.com/okrql", "URL_HAS_CREDENTIALS"),
        ("https://hooks.example.com/okrql#events", "URL_HAS_FRAGMENT"),
        ("https://hooks.example.com/" + "x" * 2000, "TOO_LONG"),
        ("https://localhost:8000/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://192.168.0.10/okrql", "URL_HOST_NOT_ALLOWED"),
        ("https://[fe80::1]/okrql", "URL_HOST_NOT_ALLOWED"),
        ("", "REQUIRED"),
    ],
)
async def test_update_webhook_endpoint_refuses_urls_the_policy_forbids(
    strict: GraphQLClient, url: str, code: str
) -> None:
    # given an endpoint at a public https URL
    good = "https://hooks.example.com/okrql"
    endpoint_id = (await _register(strict, good, ["*"]))["webhookEndpoint"]["id"]
    # when an admin moves it to the URL, it is refused on the url field, with its code
    data = await strict.data(UPDATE_ENDPOINT, {"input": {"id": endpoint_id, "url": url}})
    payload = data["updateWebhookEndpoint"]
    assert payload["webhookEndpoint"] is None
    assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(["input", "url"], code)]
    # and the endpoint kept its URL
    listed = await strict.data("{ webhookEndpoints(first: 5) { nodes { url } } }")
    assert listed["webhookEndpoints"]["nodes"] == [{"url": good}]


async def test_an_endpoint_is_changed_paused_and_resumed(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], worker_pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with receiving() as receiver:
        # given an endpoint for team events
        endpoint_id = (await _register(gql, "http://127.0.0.1:9/nowhere", ["team.created"]))[
            "webhookEndpoint"
        ]["id"]
        # when an admin points it at the receiver, for cycle events, and pauses it
        changed = await gql.data(
            UPDATE_ENDPOINT,
            {
                "input": {
                    "id": endpoint_id,
                    "url": f" {receiver.url} ",
                    "eventTypes": ["cycle.created", "cycle.created"],
                    "active": False,
                }
            },
        )
        assert changed["updateWebhookEndpoint"] == {
            "webhookEndpoint": {
                "id": endpoint_id,
                "url": receiver.url,
                "eventTypes": ["cycle.created"],
                "active": False,
            },
            "userErrors": [],
        }
        # then a cycle created while it is paused is not sent to it
        await gql.data(CREATE_CYCLE, {"name": "Paused"})
        # and once resumed (a change of one field keeps the others), the next one is
        resumed = await gql.data(UPDATE_ENDPOINT, {"input": {"id": endpoint_id, "active": True}})
        assert resumed["updateWebhookEndpoint"]["webhookEndpoint"] == {
            "id": endpoint_id,
            "url": receiver.url,
            "eventTypes": ["cycle.created"],
            "active": True,
        }
        await gql.data(CREATE_CYCLE, {"name": "Resumed"})
        await _only_ours(pool, org["id"])
        worker = WebhookWorker(worker_pool, _settings())
        try:
            assert await worker.run_once() == 1
        finally:
            await worker.stop()
    [(_, body)] = receiver.requests
    assert httpx.Response(200, content=body).json()["data"]["after"]["name"] == "Resumed"
    # and each change is in the endpoint's audit history, with what it replaced
    history = await gql.data(
        "query($id: ID!) { auditEvents(subjectId: $id, first: 5) { nodes { type before after } } }",
        {"id": endpoint_id},
    )
    [resume, change, _created] = history["auditEvents"]["nodes"]
    assert resume["type"] == change["type"] == "webhook_endpoint.updated"
    assert change["before"] == {
        "url": "http://127.0.0.1:9/nowhere",
        "eventTypes": ["team.created"],
        "active": True,
    }
    assert change["after"] == {
        "url": receiver.url,
        "eventTypes": ["cycle.created"],
        "active": False,
    }


async def test_an_endpoint_update_names_what_is_wrong(gql: GraphQLClient) -> None:
    endpoint_id = (await _register(gql, "https://hooks.example.com/okrql", ["*"]))[
        "webhookEndpoint"
    ]["id"]
    # nothing can be cleared; event types follow createWebhookEndpoint's rules
    cleared = await gql.data(
        UPDATE_ENDPOINT,
        {"input": {"id": endpoint_id, "url": None, "eventTypes": ["Bad Type"], "active": None}},
    )
    assert [(e["field"], e["code"]) for e in cleared["updateWebhookEndpoint"]["userErrors"]] == [
        (["input", "url"], "REQUIRED"),
        (["input", "active"], "REQUIRED"),
        (["input", "eventTypes"], "INVALID"),
    ]
    # an endpoint that does not exist is NOT_FOUND, another entity's id INVALID_ID
    missing = encode_id("WebhookEndpoint", 2**62)
    for given, code in ((missing, "NOT_FOUND"), (encode_id("Team", 1), "INVALID_ID")):
        refused = await gql.data(UPDATE_ENDPOINT, {"input": {"id": given, "active": False}})
        assert refused["updateWebhookEndpoint"]["userErrors"] == [
            {"field": ["input", "id"], "code": code}
        ]


async def test_create_webhook_endpoint_accepts_a_public_https_url_under_the_policy(
    strict: GraphQLClient,
) -> None:
    url = "https://hooks.example.com/okrql?source=okrql"
    created = await _register(strict, url, ["check_in.created"])
    assert created["webhookEndpoint"]["url"] == url
