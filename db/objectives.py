"""Objective writes: locking, creating, editing, moving through the lifecycle, deleting."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from db.progress import Connection
from db.queries import query


@dataclass(frozen=True, slots=True)
class ObjectiveRow:
    """An objective's own columns, as a use case checks and changes them."""

    id: int
    cycle_id: int
    level: str
    owner_team_id: int | None
    owner_user_id: int | None
    title: str
    description: str | None
    status: str
    progress_source: str
    progress: Decimal | None
    final_score: Decimal | None
    outcome: str | None
    reflection: str | None
    closed_at: dt.datetime | None
    version: int


@dataclass(frozen=True, slots=True)
class Lifecycle:
    """An objective's status and what a close keeps (all None unless closed, or archived
    after being closed)."""

    status: str
    final_score: Decimal | None = None
    outcome: str | None = None
    reflection: str | None = None
    closed_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Fields:
    """An objective's editable columns."""

    title: str
    description: str | None
    cycle_id: int
    level: str
    owner_team_id: int | None
    owner_user_id: int | None
    progress_source: str


def _decimal(value: Any) -> Decimal | None:
    # The pool decodes numeric as its exact text (db/pool.py); a bare connection as Decimal.
    return None if value is None else Decimal(value)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _row(record: Any) -> ObjectiveRow:
    data = dict(record)
    data["progress"] = _decimal(data["progress"])
    data["final_score"] = _decimal(data["final_score"])
    return ObjectiveRow(**data)


async def lock(
    conn: Connection, organization_id: int, objective_id: int, *, for_delete: bool = False
) -> ObjectiveRow | None:
    """Lock an objective of the organisation for a change (or its deletion); None if absent."""
    name = "lock_objective_for_delete" if for_delete else "lock_objective"
    record = await conn.fetchrow(query("objectives", name), organization_id, objective_id)
    return None if record is None else _row(record)


async def lock_key_results(conn: Connection, organization_id: int, objective_id: int) -> None:
    """Lock the key results of an objective (id order) ahead of deleting it."""
    await conn.execute(
        query("objectives", "lock_key_results_of_objective"), organization_id, objective_id
    )


async def cycle_dates(
    conn: Connection, organization_id: int, cycle_id: int
) -> tuple[dt.date, dt.date] | None:
    """A cycle's first and last day, or None when the organisation has no such cycle."""
    record = await conn.fetchrow(query("objectives", "cycle_dates"), organization_id, cycle_id)
    return None if record is None else (record["starts_on"], record["ends_on"])


async def team_exists(conn: Connection, organization_id: int, team_id: int) -> bool:
    found: bool = await conn.fetchval(query("objectives", "team_exists"), organization_id, team_id)
    return found


async def member_exists(conn: Connection, organization_id: int, user_id: int) -> bool:
    found: bool = await conn.fetchval(
        query("objectives", "member_exists"), organization_id, user_id
    )
    return found


async def aligned_cycles(
    conn: Connection, organization_id: int, objective_id: int
) -> list[tuple[dt.date, dt.date]]:
    """The cycles of every objective aligned with this one, as a parent or as a child."""
    records = await conn.fetch(query("objectives", "aligned_cycles"), organization_id, objective_id)
    return [(r["starts_on"], r["ends_on"]) for r in records]


async def insert(
    conn: Connection, organization_id: int, fields: Fields, status: str, now: dt.datetime
) -> ObjectiveRow:
    record = await conn.fetchrow(
        query("objectives", "insert_objective"),
        organization_id,
        fields.cycle_id,
        fields.level,
        fields.owner_team_id,
        fields.owner_user_id,
        fields.title,
        fields.description,
        status,
        fields.progress_source,
        now,
    )
    assert record is not None
    return _row(record)


async def update(
    conn: Connection, organization_id: int, objective_id: int, fields: Fields, now: dt.datetime
) -> ObjectiveRow:
    """Write the editable columns, bump the version and the update time."""
    record = await conn.fetchrow(
        query("objectives", "update_objective"),
        organization_id,
        objective_id,
        fields.title,
        fields.description,
        fields.cycle_id,
        fields.level,
        fields.owner_team_id,
        fields.owner_user_id,
        fields.progress_source,
        now,
    )
    assert record is not None
    return _row(record)


async def write_lifecycle(
    conn: Connection,
    organization_id: int,
    objective_id: int,
    lifecycle: Lifecycle,
    now: dt.datetime,
) -> ObjectiveRow:
    """Write the status and the close's columns, bump the version and the update time."""
    record = await conn.fetchrow(
        query("objectives", "write_lifecycle"),
        organization_id,
        objective_id,
        lifecycle.status,
        _text(lifecycle.final_score),
        lifecycle.outcome,
        lifecycle.reflection,
        lifecycle.closed_at,
        now,
    )
    assert record is not None
    return _row(record)


async def has_children(conn: Connection, organization_id: int, objective_id: int) -> bool:
    found: bool = await conn.fetchval(
        query("objectives", "has_children"), organization_id, objective_id
    )
    return found


async def delete(conn: Connection, organization_id: int, objective_id: int) -> None:
    await conn.execute(query("objectives", "delete_objective"), organization_id, objective_id)


async def lock_of_cycle(
    conn: Connection, organization_id: int, cycle_id: int, statuses: Sequence[str]
) -> list[ObjectiveRow]:
    """Lock the objectives of a cycle that are in one of `statuses`, in id order."""
    records = await conn.fetch(
        query("objectives", "lock_objectives_of_cycle"), organization_id, cycle_id, list(statuses)
    )
    return [_row(r) for r in records]


async def close_many(
    conn: Connection,
    organization_id: int,
    closes: Sequence[tuple[int, Decimal, str]],
    now: dt.datetime,
) -> list[ObjectiveRow]:
    """Close `(objective id, final score, outcome)` triples in one statement."""
    if not closes:
        return []
    records = await conn.fetch(
        query("objectives", "close_objectives"),
        organization_id,
        [objective_id for objective_id, _, _ in closes],
        [str(score) for _, score, _ in closes],
        [outcome for _, _, outcome in closes],
        now,
    )
    return sorted((_row(r) for r in records), key=lambda row: row.id)
