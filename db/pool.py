"""The asyncpg connection pool and the codecs every connection uses."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    # numeric travels as text both ways: exact (no float rounding, no Decimal construction on the
    # hot read path) and already in the form the API's Decimal scalar serialises to.
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=str, schema="pg_catalog", format="text"
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
        format="text",
    )


async def create_pool(
    url: str, *, min_size: int = 2, max_size: int = 10, role: str | None = None
) -> asyncpg.Pool[Any]:
    """A pool; with `role`, every connection acts as that role (set at connection start, so
    no request can run before it, and RESET ALL on release keeps it)."""
    settings = {"application_name": "okrql", "timezone": "UTC"}
    if role:
        settings["role"] = role
    pool = await asyncpg.create_pool(
        url,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        server_settings=settings,
    )
    assert pool is not None
    return pool
