"""Check-in writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from db.progress import Connection
from db.queries import query


@dataclass(frozen=True, slots=True)
class CheckInTarget:
    id: int
    kind: str
    objective_id: int
    objective_status: str
    starts_on: dt.date
    ends_on: dt.date
    cadence: str
    created_at: dt.datetime
    last_measured_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class RecordedCheckIn:
    id: int
    measured_at: dt.datetime
    recorded_at: dt.datetime
    # The key result's latest measured time after the insert, as the database recomputed it.
    last_measured_at: dt.datetime
    # What drives the (now locked) objective's progress.
    progress_source: str


async def lock_target(
    conn: Connection, organization_id: int, key_result_id: int
) -> CheckInTarget | None:
    row = await conn.fetchrow(
        query("check_ins", "key_result_for_check_in"), organization_id, key_result_id
    )
    return None if row is None else CheckInTarget(**dict(row))


async def record(
    conn: Connection,
    organization_id: int,
    *,
    target: CheckInTarget,
    author_id: int | None,
    value: Decimal | None,
    done: bool | None,
    confidence: str,
    comment: str | None,
    measured_at: dt.datetime,
    recorded_at: dt.datetime,
    next_check_in_due: dt.datetime,
    event_type: str,
    event_after: dict[str, Any],
) -> RecordedCheckIn:
    row = await conn.fetchrow(
        query("check_ins", "record_check_in"),
        organization_id,
        target.id,
        author_id,
        value,
        done,
        confidence,
        comment,
        measured_at,
        recorded_at,
        next_check_in_due,
        event_type,
        event_after,
        target.objective_id,
    )
    assert row is not None
    return RecordedCheckIn(**dict(row))
