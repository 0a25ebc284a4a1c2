"""Objective use cases: create, edit, move through the lifecycle, delete, close a cycle.

Each runs in one transaction: lock the rows it changes (key results, then objectives, each in
id order, as services/progress.py requires), check the domain rules against what it
locked, write, keep derived progress right, and record one event per changed objective.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from db import objectives as db
from db import progress as progress_db
from db.objectives import Fields, Lifecycle, ObjectiveRow
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.key_results import read_only_problems
from domain.objectives import (
    CloseCycle,
    CloseObjective,
    CreateObjective,
    DeleteObjective,
    LifecycleAction,
    ObjectiveLevel,
    ObjectiveStatus,
    Owner,
    ReopenObjective,
    SetObjectiveStatus,
    UpdateObjective,
    final_score,
    moved_cycle_problems,
    outcome_for_score,
    owner_problems,
    transition_allowed,
    transition_problems,
    updated_owner,
)
from domain.permissions import (
    ObjectiveOwnership,
    may_administer,
    may_change_owner,
    may_write_objective,
    require,
)
from domain.updates import stale_version
from services import progress
from services.audit import log_change
from services.identity import Identity

_ID = ("input", "id")
_CYCLE = ("input", "cycleId")
_TEAM = ("input", "ownerTeamId")
_USER = ("input", "ownerUserId")


@dataclass(frozen=True, slots=True)
class CycleClosed:
    cycle_id: int
    closed_objectives: int


async def create_objective(
    conn: Connection, identity: Identity, command: CreateObjective, now: dt.datetime
) -> int:
    """Create an objective in a cycle, owned by the company, a team or a person."""
    require(
        may_write_objective(
            identity.actor, ObjectiveOwnership(command.owner_user_id, command.owner_team_id)
        ),
        _MAY_NOT_CREATE,
    )
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        problems = owner_problems(command.owner)
        if await db.cycle_dates(conn, organization_id, command.cycle_id) is None:
            problems.append(_not_found(_CYCLE, "cycle"))
        problems += await _owner_reference_problems(conn, organization_id, command.owner, problems)
        raise_problems(problems)
        row = await db.insert(
            conn,
            organization_id,
            Fields(
                title=command.title,
                description=command.description,
                cycle_id=command.cycle_id,
                level=command.level.value,
                owner_team_id=command.owner_team_id,
                owner_user_id=command.owner_user_id,
                progress_source=command.progress_source.value,
            ),
            command.status.value,
            now,
        )
        await _record(conn, identity, "objective.created", row.id, None, row)
    return row.id


async def update_objective(
    conn: Connection, identity: Identity, command: UpdateObjective, now: dt.datetime
) -> int:
    """Change the given fields of an objective; a change of progress source rescores it.

    An update that changes nothing writes nothing: no new version, no event.
    """
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current = await _lock(conn, organization_id, command.id)
        _require_write(identity, current)
        changes = command.changes()
        problems = [
            *stale_version(command.version, current.version),
            *read_only_problems(current.status, _ID),
            *command.cleared(),
        ]
        owner = _owner(current)
        if changes.keys() & {"level", "owner_team_id", "owner_user_id"}:
            owner = updated_owner(owner, changes)
            problems += owner_problems(owner)
            problems += await _owner_reference_problems(
                conn, organization_id, owner, problems, changed_from=current
            )
        cycle_id = changes.get("cycle_id") or current.cycle_id
        if cycle_id != current.cycle_id:
            problems += await _moved_cycle_problems(conn, organization_id, current.id, cycle_id)
        raise_problems(problems)
        require(
            may_change_owner(
                identity.actor,
                _ownership(current),
                ObjectiveOwnership(owner.user_id, owner.team_id),
            ),
            _MAY_NOT_CREATE,
        )
        fields = Fields(
            title=changes.get("title") or current.title,
            description=changes.get("description", current.description),
            cycle_id=cycle_id,
            level=owner.level.value,
            owner_team_id=owner.team_id,
            owner_user_id=owner.user_id,
            progress_source=str(changes.get("progress_source") or current.progress_source),
        )
        if fields == _fields(current):
            return current.id
        row = await db.update(conn, organization_id, current.id, fields, now)
        if row.progress_source != current.progress_source:
            await progress.refresh_objectives(conn, organization_id, [row.id])
        await _record(conn, identity, "objective.updated", row.id, current, row)
    return row.id


async def set_objective_status(
    conn: Connection, identity: Identity, command: SetObjectiveStatus, now: dt.datetime
) -> int:
    """Activate a draft, or archive an objective (a closed one keeps its final score)."""
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current = await _lock(conn, organization_id, command.id)
        _require_write(identity, current)
        raise_problems(
            [
                *stale_version(command.version, current.version),
                *transition_problems(
                    LifecycleAction.SET_STATUS,
                    current.status,
                    command.status,
                    ("input", "status"),
                ),
            ]
        )
        lifecycle = Lifecycle(
            status=command.status.value,
            final_score=current.final_score,
            outcome=current.outcome,
            reflection=current.reflection,
            closed_at=current.closed_at,
        )
        row = await db.write_lifecycle(conn, organization_id, current.id, lifecycle, now)
        await _record(conn, identity, "objective.status_changed", row.id, current, row)
    return row.id


async def close_objective(
    conn: Connection, identity: Identity, command: CloseObjective, now: dt.datetime
) -> int:
    """Close an objective: keep its final score (its progress unless overridden), its outcome
    and a reflection; it is read-only from then on until reopened."""
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current = await _lock(conn, organization_id, command.id)
        _require_write(identity, current)
        raise_problems(
            [
                *stale_version(command.version, current.version),
                *transition_problems(
                    LifecycleAction.CLOSE, current.status, ObjectiveStatus.CLOSED, _ID
                ),
            ]
        )
        lifecycle = Lifecycle(
            status=ObjectiveStatus.CLOSED.value,
            final_score=final_score(current.progress, command.final_score),
            outcome=command.outcome.value,
            reflection=command.reflection,
            closed_at=now,
        )
        row = await db.write_lifecycle(conn, organization_id, current.id, lifecycle, now)
        await _record(conn, identity, "objective.closed", row.id, current, row)
    return row.id


async def reopen_objective(
    conn: Connection, identity: Identity, command: ReopenObjective, now: dt.datetime
) -> int:
    """Make a closed or archived objective ACTIVE again.

    The close (final score, outcome, reflection, time) is cleared from the row and survives in
    the event's `before`, so a later close starts afresh.
    """
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current = await _lock(conn, organization_id, command.id)
        _require_write(identity, current)
        raise_problems(
            [
                *stale_version(command.version, current.version),
                *transition_problems(
                    LifecycleAction.REOPEN, current.status, ObjectiveStatus.ACTIVE, _ID
                ),
            ]
        )
        lifecycle = Lifecycle(status=ObjectiveStatus.ACTIVE.value)
        row = await db.write_lifecycle(conn, organization_id, current.id, lifecycle, now)
        await _record(conn, identity, "objective.reopened", row.id, current, row)
    return row.id


async def delete_objective(conn: Connection, identity: Identity, command: DeleteObjective) -> int:
    """Delete an objective with its key results, check-ins and alignments to its parents, then
    rescore those parents. Refused while objectives are aligned under it (HAS_CHILDREN) and
    while it is closed or archived (read-only: reopen it first)."""
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        await db.lock_key_results(conn, organization_id, command.id)
        current = await _lock(conn, organization_id, command.id, for_delete=True)
        _require_write(identity, current)
        problems = [
            *stale_version(command.version, current.version),
            *read_only_problems(current.status, _ID),
        ]
        if await db.has_children(conn, organization_id, current.id):
            problems.append(
                Problem(
                    UserErrorCode.HAS_CHILDREN,
                    _ID,
                    "Objectives are aligned under this one; remove those alignments first.",
                )
            )
        raise_problems(problems)
        links = await progress_db.find_parents(conn, organization_id, [current.id])
        await db.delete(conn, organization_id, current.id)
        await progress.refresh_objectives(
            conn, organization_id, [link.parent_objective_id for link in links]
        )
        await _record(conn, identity, "objective.deleted", current.id, current, None)
    return current.id


async def close_cycle(
    conn: Connection, identity: Identity, command: CloseCycle, now: dt.datetime
) -> CycleClosed:
    """Close every objective of a cycle that is still open, each at its computed score with
    the outcome that score earns (domain.objectives.outcome_for_score); one event each."""
    require(may_administer(identity.actor), "Only an admin of the organisation may close a cycle.")
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        if await db.cycle_dates(conn, organization_id, command.cycle_id) is None:
            raise DomainError([_not_found(_CYCLE, "cycle")])
        closable = [
            s.value
            for s in ObjectiveStatus
            if transition_allowed(LifecycleAction.CLOSE, s, ObjectiveStatus.CLOSED)
        ]
        open_objectives = await db.lock_of_cycle(conn, organization_id, command.cycle_id, closable)
        closes = []
        for objective in open_objectives:
            score = final_score(objective.progress, None)
            closes.append((objective.id, score, outcome_for_score(score).value))
        closed = await db.close_many(conn, organization_id, closes, now)
        for before, after in zip(open_objectives, closed, strict=True):
            await _record(conn, identity, "objective.closed", after.id, before, after)
    return CycleClosed(command.cycle_id, len(closed))


# --- Shared steps -------------------------------------------------------------------------

_MAY_NOT_WRITE = "You may not change this objective: it is neither yours nor your team's."
_MAY_NOT_CREATE = (
    "You may not create or give away objectives with this owner: only your own or your"
    " teams' (admins: any)."
)


def _ownership(row: ObjectiveRow) -> ObjectiveOwnership:
    return ObjectiveOwnership(row.owner_user_id, row.owner_team_id)


def _require_write(identity: Identity, row: ObjectiveRow) -> None:
    require(may_write_objective(identity.actor, _ownership(row)), _MAY_NOT_WRITE)


async def _lock(
    conn: Connection, organization_id: int, objective_id: int, *, for_delete: bool = False
) -> ObjectiveRow:
    row = await db.lock(conn, organization_id, objective_id, for_delete=for_delete)
    if row is None:
        raise DomainError([_not_found(_ID, "objective")])
    return row


def _not_found(field: tuple[str, ...], what: str) -> Problem:
    return Problem(UserErrorCode.NOT_FOUND, field, f"No such {what}.")


def _owner(row: ObjectiveRow) -> Owner:
    return Owner(ObjectiveLevel(row.level), row.owner_team_id, row.owner_user_id)


def _fields(row: ObjectiveRow) -> Fields:
    return Fields(
        title=row.title,
        description=row.description,
        cycle_id=row.cycle_id,
        level=row.level,
        owner_team_id=row.owner_team_id,
        owner_user_id=row.owner_user_id,
        progress_source=row.progress_source,
    )


async def _owner_reference_problems(
    conn: Connection,
    organization_id: int,
    owner: Owner,
    known: list[Problem],
    *,
    changed_from: ObjectiveRow | None = None,
) -> list[Problem]:
    """NOT_FOUND for an owner team or person the organisation does not have.

    A field that already has a problem, or keeps its stored value, is not looked up again.
    """
    flagged = {p.field for p in known}
    problems: list[Problem] = []
    team, user = owner.team_id, owner.user_id
    if changed_from is not None:
        team = None if team == changed_from.owner_team_id else team
        user = None if user == changed_from.owner_user_id else user
    if (
        team is not None
        and _TEAM not in flagged
        and not await db.team_exists(conn, organization_id, team)
    ):
        problems.append(_not_found(_TEAM, "team"))
    if (
        user is not None
        and _USER not in flagged
        and not await db.member_exists(conn, organization_id, user)
    ):
        problems.append(_not_found(_USER, "member of the organisation"))
    return problems


async def _moved_cycle_problems(
    conn: Connection, organization_id: int, objective_id: int, cycle_id: int
) -> list[Problem]:
    dates = await db.cycle_dates(conn, organization_id, cycle_id)
    if dates is None:
        return [_not_found(_CYCLE, "cycle")]
    aligned = await db.aligned_cycles(conn, organization_id, objective_id)
    return moved_cycle_problems(dates, aligned)


def _snapshot(row: ObjectiveRow) -> dict[str, Any]:
    """An objective's own columns for the event log, in the API's names (derived progress
    is left out: it is not the owner's change)."""
    return {
        "title": row.title,
        "description": row.description,
        "cycleId": row.cycle_id,
        "level": row.level,
        "ownerTeamId": row.owner_team_id,
        "ownerUserId": row.owner_user_id,
        "status": row.status,
        "progressSource": row.progress_source,
        "finalScore": None if row.final_score is None else str(row.final_score),
        "outcome": row.outcome,
        "reflection": row.reflection,
        "closedAt": None if row.closed_at is None else row.closed_at.isoformat(),
        "version": row.version,
    }


async def _record(
    conn: Connection,
    identity: Identity,
    type: str,
    objective_id: int,
    before: ObjectiveRow | None,
    after: ObjectiveRow | None,
) -> None:
    await log_change(
        conn,
        identity,
        type=type,
        subject_type="Objective",
        subject_id=objective_id,
        before=None if before is None else _snapshot(before),
        after=None if after is None else _snapshot(after),
    )
