"""What live subscriptions need to know about an announced event."""

from __future__ import annotations

from collections.abc import Collection
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


async def missed_events(
    conn: Connection,
    organization_id: int,
    after_id: int,
    event_types: Collection[str],
    delivered: Collection[int],
    limit: int,
) -> list[dict[str, Any]]:
    """The organisation's events of `event_types` after `after_id` not among `delivered`, oldest
    first, at most `limit` (call under the organisation's tenant binding)."""
    rows = await conn.fetch(
        query("subscriptions", "missed_events"),
        organization_id, after_id, sorted(event_types), list(delivered), limit,
    )  # fmt: skip
    return [dict(row) for row in rows]


async def event_horizon(conn: Connection) -> tuple[int, int, int]:
    """The newest event id handed out so far (0 before the first), and the xmin and xmax of
    the transactions running now."""
    row = await conn.fetchrow(query("subscriptions", "event_horizon"))
    assert row is not None
    return int(row["last_event_id"]), int(row["xmin"]), int(row["xmax"])
