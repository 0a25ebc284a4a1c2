"""The append-only event log: audit history, webhook outbox and subscription feed."""

from __future__ import annotations

from typing import Any

from db.progress import Connection
from db.queries import query


async def record(
    conn: Connection,
    organization_id: int,
    *,
    type: str,
    subject_type: str,
    subject_id: int,
    actor_user_id: int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    actor_api_key_id: int | None = None,
) -> int:
    """Log one change; the actor is a person (`actor_user_id`) or an integration's API key
    (`actor_api_key_id`)."""
    event_id: int = await conn.fetchval(
        query("events", "record_event"),
        organization_id,
        type,
        subject_type,
        subject_id,
        actor_user_id,
        before,
        after,
        actor_api_key_id,
    )
    return event_id
