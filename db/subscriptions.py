"""What live subscriptions need to know about an announced event."""

from __future__ import annotations

from typing import Any

from db.progress import Connection
from db.queries import query

_FACTS = {"check_in.created": "check_in_facts", "objective.progress_changed": "objective_facts"}


async def event_facts(
    conn: Connection, organization_id: int, event_type: str, subject_id: int
) -> dict[str, Any] | None:
    """The ids an event concerns (its key result, objective, cycle, team), or None when the
    event is of no subscribable type or its subject is gone."""
    name = _FACTS.get(event_type)
    if name is None:
        return None
    row = await conn.fetchrow(query("subscriptions", name), organization_id, subject_id)
    return None if row is None else dict(row)
