"""Logging a use case's change in the event log, with the caller as its actor."""

from __future__ import annotations

from typing import Any

from db import events
from db.progress import Connection
from services.identity import Identity


async def log_change(
    conn: Connection,
    identity: Identity,
    *,
    type: str,
    subject_type: str,
    subject_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> int:
    """Log one change made by the caller (a person, or an integration's API key).

    `before` and `after` use the API's field names; a reference to another node may be its
    primary key, since the event table stores it as the global id clients know (migration
    0021's trigger, by key), whichever writer logs the event.
    """
    return await events.record(
        conn,
        identity.organization_id,
        type=type,
        subject_type=subject_type,
        subject_id=subject_id,
        actor_user_id=identity.user_id,
        actor_api_key_id=identity.api_key_id,
        before=before,
        after=after,
    )
