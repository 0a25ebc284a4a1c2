"""Recording check-ins: validate against the key result, append, refresh progress, log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from db import check_ins as db
from db import progress as progress_db
from db.check_ins import CheckInTarget, RecordedCheckIn
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.check_ins import (
    CreateCheckIn,
    check_in_problems,
    key_result_reference_problems,
    latest_measured_at,
    next_check_in_due,
)
from domain.cycles import cycle_bounds
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.permissions import KeyResultOwnership, ObjectiveOwnership, may_check_in, require
from services import progress
from services.identity import Identity

_MAY_NOT_CHECK_IN = (
    "You may not check in on this key result: only its owner, its objective's owner or team,"
    " admins and keys with checkins:write may."
)


def require_check_in(identity: Identity, target: CheckInTarget) -> None:
    """ForbiddenError unless the caller may check in on the (locked) key result."""
    ownership = KeyResultOwnership(
        target.owner_user_id,
        ObjectiveOwnership(target.objective_owner_user_id, target.objective_owner_team_id),
    )
    require(may_check_in(identity.actor, ownership), _MAY_NOT_CHECK_IN)


@dataclass(frozen=True, slots=True)
class CheckInCreated:
    check_in_id: int
    key_result_id: int
    objective_id: int


@dataclass(frozen=True, slots=True)
class CheckInsCreated:
    """A bulk check-in's outcome: per item, what was created (None where the item failed),
    and the failed items' problems (fields start with `["input", "items", "<index>"]`)."""

    created: list[CheckInCreated | None]
    problems: list[Problem]


def _reference_field(command: CreateCheckIn) -> str:
    return "keyResultId" if command.key_result_id is not None else "keyResultExternalId"


def _not_found(command: CreateCheckIn) -> DomainError:
    return DomainError.of(
        UserErrorCode.NOT_FOUND, ("input", _reference_field(command)), "No such key result."
    )


def _checked(
    identity: Identity, target: CheckInTarget, command: CreateCheckIn, now: dt.datetime
) -> dt.datetime:
    """Apply the check-in rules to one command and its locked key result; returns when the
    value was measured. Raises DomainError (or ForbiddenError) before anything is written."""
    require_check_in(identity, target)
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
    return measured_at


async def _record(
    conn: Connection,
    identity: Identity,
    target: CheckInTarget,
    command: CreateCheckIn,
    *,
    measured_at: dt.datetime,
    latest_at: dt.datetime,
    now: dt.datetime,
    scoring: bool = False,
) -> RecordedCheckIn:
    """Append one checked check-in to its locked key result (and log it); with `scoring`,
    also read the (locked) objective's scoring inputs as the check-in leaves them."""
    recorded = await db.record(
        conn,
        identity.organization_id,
        target=target,
        author_id=identity.user_id,
        actor_api_key_id=identity.api_key_id,
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
        scoring=scoring,
    )
    if recorded.last_measured_at != latest_at:
        # The due time was computed for `latest_at`; the database's recomputation from the
        # history disagreeing would mean the rule and the SQL drifted apart.
        raise RuntimeError("latest check-in disagrees with domain.latest_measured_at")
    return recorded


async def create_check_in(
    conn: Connection, identity: Identity, command: CreateCheckIn, now: dt.datetime
) -> CheckInCreated:
    """Append a check-in and move its key result and objective progress, in one transaction.

    Round trips matter on this hot write path: one statement locks the key result and its
    objective and reads what the rules need, one appends the check-in, refreshes the key
    result's latest columns, logs the event and reads the objective's progress inputs; the
    progress walk then needs one read per level above, and one write if progress changed.

    The key result's current value follows the latest check-in by measured time, so a
    back-dated check-in joins the history without hiding a newer value.
    """
    organization_id = identity.organization_id
    raise_problems(key_result_reference_problems(command))
    # Every refusal below happens before the first write (no savepoint needed).
    async with tenant_transaction(conn, organization_id, savepoint=False):
        if command.key_result_id is not None:
            target = await db.lock_target(conn, organization_id, command.key_result_id)
        else:
            assert command.key_result_external_id is not None
            found = await db.lock_targets(
                conn, organization_id, [], [command.key_result_external_id]
            )
            target = found[0] if found else None
            if target is not None:
                [objective] = await progress_db.lock_objectives(
                    conn, organization_id, [target.objective_id]
                )
                target = replace(target, progress_source=objective.progress_source)
        if target is None:
            raise _not_found(command)
        measured_at = _checked(identity, target, command, now)
        latest_at = latest_measured_at(target.last_measured_at, measured_at)
        recorded = await _record(
            conn,
            identity,
            target,
            command,
            measured_at=measured_at,
            latest_at=latest_at,
            now=now,
            scoring=True,
        )
        assert target.progress_source is not None
        await progress.refresh_objectives(
            conn,
            organization_id,
            [target.objective_id],
            locked_sources={target.objective_id: target.progress_source},
            loaded=recorded.scoring,
        )
    return CheckInCreated(recorded.id, target.id, target.objective_id)


def at_item(index: int, problems: Sequence[Problem]) -> list[Problem]:
    """An item's problems (fields `["input", ...]`) as problems of the bulk input's item."""
    return [
        Problem(p.code, ("input", "items", str(index), *p.field[1:]), p.message) for p in problems
    ]


def _item_index(problem: Problem) -> int:
    # Problems in the order of their items; one of the whole input (its size) comes first.
    return int(problem.field[2]) if len(problem.field) > 2 else -1


async def create_check_ins(
    conn: Connection,
    identity: Identity,
    items: Sequence[tuple[int, CreateCheckIn]],
    size: int,
    now: dt.datetime,
    *,
    atomic: bool,
    problems: Sequence[Problem] = (),
) -> CheckInsCreated:
    """Append many check-ins (`items`: index in the input, command) in one transaction.

    Every key result is locked first, in id order, then every objective they belong to, in
    id order (the lock order of services/progress.py), so concurrent bulk pushes never
    deadlock. Each item is checked by the rules of a single check-in; items of one key result
    apply in input order, each seeing the ones before it. `atomic`: any problem refuses the
    whole batch (DomainError, nothing written); otherwise the valid items are written and the
    others reported. A batch that writes nothing raises too, so nothing of it is kept.
    `size` is the input's item count; `problems` are those of items that failed before (not
    in `items`), reported with the others so that a refusal lists every problem at once.
    """
    organization_id = identity.organization_id
    created: list[CheckInCreated | None] = [None] * size
    found = list(problems)
    named: list[tuple[int, CreateCheckIn]] = []
    for index, command in items:
        reference = key_result_reference_problems(command)
        if reference:
            found.extend(at_item(index, reference))
        else:
            named.append((index, command))
    # Every refusal below happens before the first write (no savepoint needed).
    async with tenant_transaction(conn, organization_id, savepoint=False):
        targets = await db.lock_targets(
            conn,
            organization_id,
            sorted({c.key_result_id for _, c in named if c.key_result_id is not None}),
            sorted({c.key_result_external_id for _, c in named if c.key_result_external_id}),
        )
        by_id = {t.id: t for t in targets}
        by_external_id = {t.external_id: t for t in targets if t.external_id is not None}
        # Each key result's latest measured time as the batch's earlier items leave it.
        latest: dict[int, dt.datetime | None] = {t.id: t.last_measured_at for t in targets}
        planned: list[tuple[int, CheckInTarget, CreateCheckIn, dt.datetime, dt.datetime]] = []
        for index, command in named:
            target = (
                by_id.get(command.key_result_id)
                if command.key_result_id is not None
                else by_external_id.get(command.key_result_external_id or "")
            )
            try:
                if target is None:
                    raise _not_found(command)
                measured_at = _checked(identity, target, command, now)
            except DomainError as error:
                found.extend(at_item(index, error.problems))
                continue
            latest_at = latest_measured_at(latest[target.id], measured_at)
            latest[target.id] = latest_at
            planned.append((index, target, command, measured_at, latest_at))
        if found and (atomic or not planned):
            raise DomainError(sorted(found, key=_item_index))
        objective_ids = sorted({t.objective_id for _, t, _, _, _ in planned})
        locked = await progress_db.lock_objectives(conn, organization_id, objective_ids)
        for index, target, command, measured_at, latest_at in planned:
            recorded = await _record(
                conn,
                identity,
                target,
                command,
                measured_at=measured_at,
                latest_at=latest_at,
                now=now,
            )
            created[index] = CheckInCreated(recorded.id, target.id, target.objective_id)
        await progress.refresh_objectives(
            conn,
            organization_id,
            objective_ids,
            locked_sources={o.id: o.progress_source for o in locked},
        )
    return CheckInsCreated(created, sorted(found, key=_item_index))
