"""The per-request context handed to execution: identity, clock, database connection."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from api.settings import Settings
from db.planner.mapping import ReadContext


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the request acts as, in which organisation."""

    organization_id: int
    user_id: int | None
    time_zone: str
    role: str


@dataclass(slots=True)
class RequestContext:
    settings: Settings
    identity: Identity
    read: ReadContext
    request_id: str
    conn: asyncpg.Connection[Any]
    # Strawberry's standard executor resolves sibling fields concurrently; one connection
    # runs one statement at a time.
    db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
