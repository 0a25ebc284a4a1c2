"""A webhook worker process killed in the middle of a delivery: the event is delivered after a
new worker starts (at least once, with the same webhook-id, so the receiver can de-duplicate).

Real processes: `okrql worker` started as a subprocess, killed with SIGKILL while the receiver
is still holding its request open, and a second `okrql worker` that finishes the job.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg

from tests.api.test_webhooks import CREATE_CYCLE, Receiver, _only_ours, _register
from tests.graphql import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]


class HoldingReceiver(Receiver):
    """Holds the first request open (the worker is mid-delivery) until released."""

    def __init__(self) -> None:
        super().__init__()
        self.holding = False
        self.first_arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.holding:
            self.holding = True
            with contextlib.suppress(Exception):
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                headers = dict(
                    (line.partition(":")[0].strip().lower(), line.partition(":")[2].strip())
                    for line in head.decode("latin-1").split("\r\n")[1:]
                    if ":" in line
                )
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append((headers, body))
                # Only now, with the whole request received, is the worker mid-delivery.
                self.first_arrived.set()
                await self.release.wait()
            writer.close()
            return
        await super()._handle(reader, writer)


@contextlib.asynccontextmanager
async def worker_process(database_url: str) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "OKRQL_ENVIRONMENT": "development",
        "OKRQL_WEBHOOK_LEASE": "1",
        "OKRQL_WEBHOOK_POLL_INTERVAL": "0.05",
        "OKRQL_WEBHOOK_TIMEOUT": "30",
        "OKRQL_LOG_LEVEL": "WARNING",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "worker", cwd=ROOT, env=env
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(process.wait(), 10)
        if process.returncode is None:
            process.kill()
            await process.wait()


async def _status(pool: asyncpg.Pool[Any], organization_id: int) -> str | None:
    status: str | None = await pool.fetchval(
        "SELECT status::text FROM webhook_delivery WHERE organization_id = $1", organization_id
    )
    return status


async def test_a_worker_process_killed_mid_delivery_is_covered_after_a_restart(
    gql: GraphQLClient, pool: asyncpg.Pool[Any], database_url: str, org: dict[str, Any]
) -> None:
    receiver = HoldingReceiver()
    await receiver.start()
    try:
        # given an endpoint and an event to deliver
        await _register(gql, receiver.url, ["cycle.created"])
        await gql.data(CREATE_CYCLE, {"name": "Q4"})
        await _only_ours(pool, org["id"])
        # when a worker process is killed while the receiver holds its request open
        async with worker_process(database_url) as first:
            await asyncio.wait_for(receiver.first_arrived.wait(), 20)
            first.kill()
            await first.wait()
        assert await _status(pool, org["id"]) == "PENDING"
        receiver.release.set()
        # then a new worker process delivers it once the dead one's lease has run out
        async with worker_process(database_url):
            for _ in range(200):
                if await _status(pool, org["id"]) == "DELIVERED":
                    break
                await asyncio.sleep(0.1)
    finally:
        await receiver.stop()
    assert await _status(pool, org["id"]) == "DELIVERED"
    # at least once, and the receiver can tell it is the same event
    assert len(receiver.requests) >= 2
    ids = {headers["webhook-id"] for headers, _ in receiver.requests}
    assert len(ids) == 1
