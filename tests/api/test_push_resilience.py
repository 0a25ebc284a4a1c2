"""Integrations pushing values while PostgreSQL comes and goes lose nothing and double nothing.

Real components: the test PostgreSQL behind a TCP forwarder that is stopped and started under
load (every open connection dropped), the API in front of it, and pushers that retry with an
idempotency key the way the README tells integrations to. Afterwards every acknowledged push
is in the database exactly once, and nothing else is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import asyncpg
import httpx

from tests.api.test_faults import Forwarder, running_app
from tests.arrange import objective_tree

PUSHERS = 4
PUSHES_EACH = 12
MAX_ATTEMPTS = 200
OUTAGES = 4

PUSH = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) { checkIn { id comment } userErrors { code } } }"""


async def _push(
    client: httpx.AsyncClient, slug: str, kr: str, tag: str, stats: Counter[str]
) -> bool:
    """One integration push, retried on retryable answers; whether it was acknowledged."""
    variables = {
        "input": {
            "keyResultId": kr,
            "value": "7",
            "confidence": "ON_TRACK",
            "comment": tag,
            "idempotencyKey": tag,
        }
    }
    for _ in range(MAX_ATTEMPTS):
        stats["attempts"] += 1
        try:
            response = await client.post(
                "/graphql",
                json={"query": PUSH, "variables": variables},
                headers={"x-organization": slug},
            )
        except httpx.TransportError:
            stats["transport errors"] += 1
            await asyncio.sleep(0.02)
            continue
        if response.status_code in (503, 504):
            stats["retryable answers"] += 1
            await asyncio.sleep(0.02)
            continue
        body = response.json()
        payload = body["data"]["createCheckIn"]
        assert payload["userErrors"] == [], body
        assert payload["checkIn"]["comment"] == tag
        return True
    return False


async def test_pushes_survive_the_database_going_away_and_coming_back(
    database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any], gql: Any
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 2)
    krs = [
        kr["id"]
        for kr in (await gql.data("{ keyResults(first: 10) { nodes { id } } }"))["keyResults"][
            "nodes"
        ]
    ]
    forwarder = Forwarder(database_url)
    await forwarder.start()
    stats: Counter[str] = Counter()
    acknowledged: list[str] = []

    async def pusher(n: int) -> None:
        for i in range(PUSHES_EACH):
            tag = f"push-{n}-{i}"
            if await _push(client, org["slug"], krs[(n + i) % len(krs)], tag, stats):
                acknowledged.append(tag)

    async def outages() -> None:
        for _ in range(OUTAGES):
            await asyncio.sleep(0.15)
            await forwarder.stop()
            stats["outages"] += 1
            await asyncio.sleep(0.15)
            await forwarder.start()

    try:
        async with running_app(
            forwarder.url(database_url), database_connect_timeout=1, pool_min_size=1
        ) as (_, client):
            await asyncio.wait_for(
                asyncio.gather(outages(), *(pusher(n) for n in range(PUSHERS))), 120
            )
    finally:
        with contextlib.suppress(AssertionError):
            await forwarder.stop()

    stored = Counter(
        r["comment"]
        for r in await pool.fetch(
            "SELECT comment FROM check_in WHERE organization_id = $1 AND comment LIKE 'push-%'",
            org["id"],
        )
    )
    lost = [tag for tag in acknowledged if stored[tag] == 0]
    doubled = [tag for tag, count in stored.items() if count > 1]
    unacknowledged_but_stored = [tag for tag in stored if tag not in acknowledged]
    print(
        f"pushes {PUSHERS * PUSHES_EACH}, acknowledged {len(acknowledged)}, "
        f"attempts {stats['attempts']}, retryable answers {stats['retryable answers']}, "
        f"transport errors {stats['transport errors']}, outages {stats['outages']}, "
        f"lost {len(lost)}, doubled {len(doubled)}"
    )
    assert stats["outages"] == OUTAGES
    assert len(acknowledged) == PUSHERS * PUSHES_EACH
    assert lost == []
    assert doubled == []
    assert unacknowledged_but_stored == []
