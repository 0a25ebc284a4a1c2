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
) -> int:
    event_id: int = await conn.fetchval(
        query("events", "record_event"),
        organization_id,
        type,
        subject_type,
        subject_id,
        actor_user_id,
        before,
        after,
    )
    return event_id
