"""Check-in writes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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


@dataclass(frozen=True, slots=True)
class InsertedCheckIn:
    id: int
    measured_at: dt.datetime
    recorded_at: dt.datetime


async def lock_target(
    conn: Connection, organization_id: int, key_result_id: int
) -> CheckInTarget | None:
    row = await conn.fetchrow(
        query("check_ins", "key_result_for_check_in"), organization_id, key_result_id
    )
    return None if row is None else CheckInTarget(**dict(row))


async def insert(
    conn: Connection,
    organization_id: int,
    *,
    key_result_id: int,
    author_id: int | None,
    value: Decimal | None,
    done: bool | None,
    confidence: str,
    comment: str | None,
    measured_at: dt.datetime | None,
    now: dt.datetime,
) -> InsertedCheckIn:
    row = await conn.fetchrow(
        query("check_ins", "insert_check_in"),
        organization_id,
        key_result_id,
        author_id,
        value,
        done,
        confidence,
        comment,
        measured_at,
        now,
    )
    assert row is not None
    return InsertedCheckIn(**dict(row))
