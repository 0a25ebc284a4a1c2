"""Recording check-ins: validate against the key result, append, refresh progress, log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from api.context import Identity
from api.services import progress
from db import check_ins as db
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.check_ins import (
    CreateCheckIn,
    check_in_problems,
    latest_measured_at,
    next_check_in_due,
)
from domain.cycles import cycle_bounds
from domain.errors import DomainError, UserErrorCode, raise_problems


@dataclass(frozen=True, slots=True)
class CheckInCreated:
    check_in_id: int
    key_result_id: int
    objective_id: int


async def create_check_in(
    conn: Connection, identity: Identity, command: CreateCheckIn, now: dt.datetime
) -> CheckInCreated:
    """Append a check-in and move its key result and objective progress, in one transaction.

    Round trips matter on this hot write path: one statement locks the key result and reads
    what the rules need, one appends the check-in, refreshes the key result's latest columns,
    logs the event and locks the objective; the progress walk then needs one read per level
    and one write.

    The key result's current value follows the latest check-in by measured time, so a
    back-dated check-in joins the history without hiding a newer value.
    """
    organization_id = identity.organization_id
    # Every refusal below happens before the first write (no savepoint needed).
    async with tenant_transaction(conn, organization_id, savepoint=False):
        target = await db.lock_target(conn, organization_id, command.key_result_id)
        if target is None:
            raise DomainError.of(
                UserErrorCode.NOT_FOUND, ("input", "keyResultId"), "No such key result."
            )
        cycle_start, _ = cycle_bounds(target.starts_on, target.ends_on, identity.time_zone)
        measured_at = command.measured_at or now
        raise_problems(
            check_in_problems(
                kind=target.kind,
                objective_status=target.objective_status,
                value_given=command.value is not None,
                done_given=command.done is not None,
                measured_at=measured_at,
                now=now,
                cycle_start=cycle_start,
            )
        )
        latest_at = latest_measured_at(target.last_measured_at, measured_at)
        recorded = await db.record(
            conn,
            organization_id,
            target=target,
            author_id=identity.user_id,
            value=command.value,
            done=command.done,
            confidence=command.confidence.value,
            comment=command.comment,
            measured_at=measured_at,
            recorded_at=now,
            next_check_in_due=next_check_in_due(target.cadence, latest_at, target.created_at),
            event_type="check_in.created",
            event_after={
                "keyResultId": target.id,
                "value": None if command.value is None else str(command.value),
                "done": command.done,
                "confidence": command.confidence.value,
                "comment": command.comment,
                "measuredAt": measured_at.isoformat(),
                "recordedAt": now.isoformat(),
            },
        )
        if recorded.last_measured_at != latest_at:
            # The due time was computed for `latest_at`; the database's recomputation from the
            # history disagreeing would mean the rule and the SQL drifted apart.
            raise RuntimeError("latest check-in disagrees with domain.latest_measured_at")
        await progress.refresh_objectives(
            conn,
            organization_id,
            [target.objective_id],
            locked_sources={target.objective_id: recorded.progress_source},
        )
    return CheckInCreated(recorded.id, target.id, target.objective_id)
