"""Recording check-ins: validate against the key result, append, refresh progress, log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from api.context import Identity
from api.services import progress
from db import check_ins as db
from db import events
from db.progress import Connection
from domain.check_ins import CreateCheckIn, check_in_problems
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

    The key result's current value follows the latest check-in by measured time, so a
    back-dated check-in joins the history without hiding a newer value.
    """
    organization_id = identity.organization_id
    async with conn.transaction():
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
        inserted = await db.insert(
            conn,
            organization_id,
            key_result_id=target.id,
            author_id=identity.user_id,
            value=command.value,
            done=command.done,
            confidence=command.confidence.value,
            comment=command.comment,
            measured_at=measured_at,
            now=now,
        )
        await progress.refresh_key_results(conn, organization_id, [target.id])
        await progress.refresh_objectives(conn, organization_id, [target.objective_id])
        await events.record(
            conn,
            organization_id,
            type="check_in.created",
            subject_type="CheckIn",
            subject_id=inserted.id,
            actor_user_id=identity.user_id,
            before=None,
            after={
                "keyResultId": target.id,
                "value": None if command.value is None else str(command.value),
                "done": command.done,
                "confidence": command.confidence.value,
                "comment": command.comment,
                "measuredAt": inserted.measured_at.isoformat(),
                "recordedAt": inserted.recorded_at.isoformat(),
            },
        )
    return CheckInCreated(inserted.id, target.id, target.objective_id)
