"""Prometheus metrics at /metrics (api/metrics.py): only for the operators' token, with
requests and latency per operation, errors by code, the pool, live subscriptions and the
webhook outbox."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from api import metrics as metrics_module
from tests.api.test_faults import running_app

TOKEN = "metrics-token-for-tests"
HEADERS = {"accept": "application/graphql-response+json"}


def _value(text: str, name: str, **labels: str) -> float:
    """The sample `name{labels}` of an exposition (labels in any order), or 0."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        sample, _, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', sample))
        if sample.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


async def _scrape(client: httpx.AsyncClient) -> str:
    response = await client.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return response.text


async def test_metrics_are_for_the_operators_token_only(database_url: str) -> None:
    # unset: there is no /metrics
    async with running_app(database_url) as (_, client):
        assert (await client.get("/metrics")).status_code == 404
    # set: only its bearer reads them (an organisation's admin is no operator)
    async with running_app(database_url, metrics_token=TOKEN) as (_, client):
        assert (await client.get("/metrics")).status_code == 401
        wrong = await client.get("/metrics", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert "okrql_graphql_requests" in await _scrape(client)


async def test_requests_latency_and_errors_by_operation_and_code(
    database_url: str, org: dict[str, Any]
) -> None:
    headers = {**HEADERS, "x-organization": org["slug"]}
    async with running_app(database_url, metrics_token=TOKEN) as (_, client):
        # when a named query runs twice, a field fails once and a document does not parse
        for _ in range(2):
            await client.post(
                "/graphql", json={"query": "query Cycles { cycles(first: 1) { totalCount } }"},
                headers=headers,
            )  # fmt: skip
        await client.post(
            "/graphql", json={"query": 'query Forged { cycles(first: 1, after: "x") { totalCount } }'},
            headers=headers,
        )  # fmt: skip
        await client.post("/graphql", json={"query": "{ cycles"}, headers=headers)
        text = await _scrape(client)
    # then each is counted under its operation, kind and status, with its latency
    assert _value(text, "okrql_graphql_requests_total", operation="Cycles", kind="query",
                  status="200") == 2  # fmt: skip
    assert _value(text, "okrql_graphql_request_seconds_count", operation="Cycles") == 2
    assert _value(text, "okrql_graphql_requests_total", operation="Forged", status="200") == 1
    assert _value(text, "okrql_graphql_requests_total", operation="-", status="400") == 1
    # and the errors by their codes
    assert _value(text, "okrql_graphql_errors_total", code="BAD_USER_INPUT") == 1
    assert _value(text, "okrql_graphql_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    # and the pool is described
    assert _value(text, "okrql_db_pool_connections", state="open") >= 1
    assert _value(text, "okrql_db_pool_connections", state="max") >= 1
    assert "okrql_live_subscriptions" in text


async def test_operation_names_are_bounded(
    database_url: str, org: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_module, "MAX_OPERATIONS", 2)
    headers = {**HEADERS, "x-organization": org["slug"]}
    async with running_app(database_url, metrics_token=TOKEN) as (_, client):
        # when a client sends a new operation name with each request
        for name in ("A", "B", "C", "D"):
            await client.post(
                "/graphql", json={"query": f"query {name} {{ __typename }}"}, headers=headers
            )
        text = await _scrape(client)
    # then names past the bound are counted together
    assert _value(text, "okrql_graphql_requests_total", operation="A") == 1
    assert _value(text, "okrql_graphql_requests_total", operation="other") == 2
    assert _value(text, "okrql_graphql_requests_total", operation="C") == 0


async def test_the_webhook_outbox_depth_and_lag(database_url: str, org: dict[str, Any]) -> None:
    headers = {**HEADERS, "x-organization": org["slug"]}
    async with running_app(database_url, metrics_token=TOKEN) as (_, client):
        before = _value(await _scrape(client), "okrql_webhook_outbox_depth")
        # given an endpoint (the worker is off here) and an event it subscribes to
        created = await client.post(
            "/graphql",
            json={
                "query": """mutation { createWebhookEndpoint(input: {url: "https://example.com/h",
                  eventTypes: ["*"]}) { userErrors { code } } }"""
            },
            headers=headers,
        )
        assert created.json()["data"]["createWebhookEndpoint"]["userErrors"] == []
        await client.post(
            "/graphql",
            json={
                "query": 'mutation { createTeam(input: {name: "Outbox"}) { userErrors { code } } }'
            },
            headers=headers,
        )
        text = await _scrape(client)
    # then the waiting delivery is counted, and the oldest due one has an age
    assert _value(text, "okrql_webhook_outbox_depth") >= before + 1
    assert _value(text, "okrql_webhook_outbox_lag_seconds") >= 0
