"""The per-request context that resolvers and mutations run with: who calls, the connection,
and the few settings the schema reads.

The transport (api/executor.py) builds it; the schema sees only what it needs of the
server's settings, as `SchemaSettings`, so it depends on no layer above it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg

from db.planner.mapping import ReadContext
from domain.webhooks import UrlPolicy
from services.identity import Identity


class SchemaSettings(Protocol):
    """The settings the schema reads (api/settings.py's Settings has them)."""

    @property
    def max_page_size(self) -> int: ...

    @property
    def max_bulk_check_ins(self) -> int: ...

    @property
    def webhook_url_policy(self) -> UrlPolicy: ...


@dataclass(slots=True)
class RequestContext:
    settings: SchemaSettings
    identity: Identity
    read: ReadContext
    request_id: str
    conn: asyncpg.Connection[Any]
    # Strawberry's standard executor resolves sibling fields concurrently; one connection
    # runs one statement at a time.
    db_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
