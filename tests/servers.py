"""Real API instances for tests that need a socket (WebSocket subscribers, two instances on one
database): uvicorn on a free loopback port, started and stopped by the test."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """Serve `app` (uvicorn, lifespan on) on a free loopback port until the block ends; yields
    the port once the app's event hub LISTENs, so no event is announced before a subscriber
    could hear it."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(200):
            if server.started:
                break
            await asyncio.sleep(0.05)
        assert server.started
        await asyncio.wait_for(app.state.hub.listening.wait(), 10)
        yield port
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
