"""Check-in writes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from db.progress import Connection, ParentLink, ScoringInputs, scoring_from_rows
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
    external_id: str | None = None
    # Who may check in (authorization): the key result's owner, its objective's owners.
    owner_user_id: int | None = None
    objective_owner_user_id: int | None = None
    objective_owner_team_id: int | None = None
    # What drives the objective's progress, when the objective was locked with the key result.
    progress_source: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedCheckIn:
    id: int
    measured_at: dt.datetime
    recorded_at: dt.datetime
    # The key result's latest measured time after the insert, as the database recomputed it.
    last_measured_at: dt.datetime
    # The objective's scoring inputs after the insert (load_scoring_inputs), when asked for.
    scoring: tuple[list[ScoringInputs], list[ParentLink]] | None


async def lock_target(
    conn: Connection, organization_id: int, key_result_id: int
) -> CheckInTarget | None:
    """Lock the key result, then its objective (see key_result_for_check_in)."""
    row = await conn.fetchrow(
        query("check_ins", "key_result_for_check_in"), organization_id, key_result_id
    )
    return None if row is None else CheckInTarget(**dict(row))


async def lock_targets(
    conn: Connection,
    organization_id: int,
    key_result_ids: Sequence[int],
    external_ids: Sequence[str],
) -> list[CheckInTarget]:
    """Lock the key results named by id or external id, in id order (the lock order)."""
    rows = await conn.fetch(
        query("check_ins", "key_results_for_check_ins"),
        organization_id,
        list(key_result_ids),
        list(external_ids),
    )
    return [CheckInTarget(**dict(row)) for row in rows]


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
    actor_api_key_id: int | None = None,
    scoring: bool = False,
) -> RecordedCheckIn:
    """Append a check-in to its locked key result, whose objective the caller locked too;
    with `scoring`, also read the objective's scoring inputs as the check-in leaves them."""
    rows = await conn.fetch(
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
        actor_api_key_id,
        scoring,
    )
    [row] = [r for r in rows if r["part"] == "check_in"]
    return RecordedCheckIn(
        id=row["other_id"],
        measured_at=row["measured_at"],
        recorded_at=row["recorded_at"],
        last_measured_at=row["last_measured_at"],
        scoring=scoring_from_rows(rows) if scoring else None,
    )
