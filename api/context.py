"""The per-request context handed to execution: identity, clock, database connection."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from api.settings import Settings
from db.planner.mapping import ReadContext

ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the request acts as, in which organisation.

    A person (signed in with a token, or the development fallback) has a `user_id` and a
    `role` (ADMIN, MEMBER, VIEWER) in the organisation; an integration's API key has an
    `api_key_id` and `scopes` (read, write, checkins:write), and perhaps `team_ids` it is
    limited to (empty: all teams).
    """

    organization_id: int
    user_id: int | None
    time_zone: str
    role: str | None
    organization_slug: str = ""
    api_key_id: int | None = None
    scopes: frozenset[str] = frozenset()
    team_ids: tuple[int, ...] = ()

    @property
    def is_admin(self) -> bool:
        return self.user_id is not None and self.role == ADMIN


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
