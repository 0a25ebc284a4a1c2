"""During a database outage the API logs it once, not once per 503 (api/outages.py)."""

from __future__ import annotations

import logging
from typing import Any

import asyncpg
import pytest

from tests.api.test_faults import Forwarder, running_app
from tests.signin import api_key

QUERY = "{ cycles(first: 1) { totalCount } }"


async def test_an_outage_is_logged_once_and_its_end_once(
    database_url: str, org: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    forwarder = Forwarder(database_url)
    # given an API whose database is unreachable
    async with running_app(
        forwarder.url(database_url), database_connect_timeout=2, pool_min_size=1
    ) as (app, client):
        now = [0.0]
        app.state.outages.clock = lambda: now[0]
        headers = {"x-organization": org["slug"], "accept": "application/graphql-response+json"}
        # when 20 requests are refused
        for _ in range(20):
            response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 503
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        # then one ERROR line tells of the outage: no line per request
        assert [r.name for r in errors] == ["okrql.outage"], [r.getMessage() for r in errors]
        # when the summary interval has passed, the next refusal counts the refused ones
        now[0] += app.state.settings.outage_log_interval
        await client.post("/graphql", json={"query": QUERY}, headers=headers)
        summaries = [
            r.getMessage() for r in caplog.records if "still unavailable" in r.getMessage()
        ]
        assert len(summaries) == 1
        assert "21 requests answered 503" in summaries[0]
        # when the database is back, the first served request ends it
        await forwarder.start()
        try:
            response = await client.post("/graphql", json={"query": QUERY}, headers=headers)
            assert response.status_code == 200, response.text
        finally:
            await forwarder.stop()
    ends = [r.getMessage() for r in caplog.records if "available again" in r.getMessage()]
    assert len(ends) == 1
    assert "21 requests were answered 503" in ends[0]
    assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1


async def test_scim_refusals_join_the_outage_log(
    database_url: str,
    org: dict[str, Any],
    pool: asyncpg.Pool[Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    key = await api_key(pool, org, "scim")
    forwarder = Forwarder(database_url)
    # given an API whose database is unreachable
    async with running_app(
        forwarder.url(database_url), database_connect_timeout=2, pool_min_size=1
    ) as (_, client):
        headers = {"authorization": f"Bearer {key.secret}"}
        # when an identity provider's ten SCIM requests are refused
        for _ in range(10):
            response = await client.get("/scim/v2/Users", headers=headers)
            assert response.status_code == 503, response.text
    # then the outage is one line, as for /graphql: none per request (the start-up's own
    # warnings about the pool and the event hub aside)
    lines = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name not in ("db.pool", "api.subscriptions.hub")
    ]
    assert [(r.name, r.levelno) for r in lines] == [("okrql.outage", logging.ERROR)], [
        r.getMessage() for r in lines
    ]
