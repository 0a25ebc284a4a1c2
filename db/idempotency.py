"""Idempotency keys: claiming one for a write, and the response a retry replays."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from db.progress import Connection
from db.queries import query


@dataclass(frozen=True, slots=True)
class StoredKey:
    operation: str
    fingerprint: bytes
    # None only while the claiming transaction is still writing (never seen by others).
    response: dict[str, Any] | None


async def claim(
    conn: Connection,
    organization_id: int,
    caller: str,
    key: str,
    operation: str,
    fingerprint: bytes,
    ttl: dt.timedelta,
) -> bool:
    """Whether this transaction now owns the key (new, or expired and taken over)."""
    claimed = await conn.fetchval(
        query("idempotency", "claim"), organization_id, caller, key, operation, fingerprint, ttl
    )
    return bool(claimed)


async def stored(conn: Connection, organization_id: int, caller: str, key: str) -> StoredKey | None:
    row = await conn.fetchrow(query("idempotency", "stored"), organization_id, caller, key)
    return None if row is None else StoredKey(**dict(row))


async def remember(
    conn: Connection, organization_id: int, caller: str, key: str, response: dict[str, Any]
) -> None:
    await conn.execute(query("idempotency", "remember"), organization_id, caller, key, response)
