"""Key-result writes: validate the resulting state, write, refresh progress, log."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from db import key_results as db
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.key_results import (
    INPUT_FIELDS,
    CreateKeyResult,
    DeleteKeyResult,
    KeyResultDraft,
    UpdateKeyResult,
    apply_update,
    draft_from_command,
    key_result_problems,
    new_key_result_problems,
    read_only_problems,
)
from domain.permissions import (
    KeyResultOwnership,
    ObjectiveOwnership,
    may_update_key_result,
    may_write_objective,
    require,
)
from domain.updates import stale_version
from services import progress
from services.audit import log_change
from services.identity import Identity

_MAY_NOT_WRITE = (
    "You may not change this objective's key results: the objective is neither yours nor your"
    " team's."
)
_MAY_NOT_UPDATE = (
    "You may not change this key result: neither it nor its objective is yours or your team's."
)


def _ownership(locked: db.LockedKeyResult) -> KeyResultOwnership:
    return KeyResultOwnership(
        locked.values.owner_id,
        ObjectiveOwnership(locked.objective_owner_user_id, locked.objective_owner_team_id),
    )


@dataclass(frozen=True, slots=True)
class KeyResultWritten:
    key_result_id: int
    objective_id: int


def _snapshot(draft: KeyResultDraft, objective_id: int, version: int) -> dict[str, Any]:
    """A key result's own state for the event log, in the API's names (derived values such as
    the current value are left out: they are not the owner's change)."""
    state: dict[str, Any] = {"objectiveId": objective_id}
    for name, value in asdict(draft).items():
        state[INPUT_FIELDS[name]] = str(value) if isinstance(value, Decimal) else value
    state["version"] = version
    return state


async def _owner_problems(
    conn: Connection, organization_id: int, owner_id: int | None
) -> list[Problem]:
    if owner_id is None or await db.is_member(conn, organization_id, owner_id):
        return []
    return [Problem(UserErrorCode.NOT_FOUND, ("input", "ownerId"), "No such member.")]


def _constraint_problem(error: Exception) -> DomainError:
    if isinstance(error, db.ExternalIdTakenError):
        return DomainError.of(
            UserErrorCode.DUPLICATE_EXTERNAL_ID,
            ("input", "externalId"),
            "Another key result of the organisation has this external id.",
        )
    return DomainError.of(UserErrorCode.NOT_FOUND, ("input", "ownerId"), "No such member.")


async def create_key_result(
    conn: Connection, identity: Identity, command: CreateKeyResult, now: dt.datetime
) -> KeyResultWritten:
    """Add a key result to an open objective and fold it into the objective's progress."""
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        objective = await db.lock_objective(conn, organization_id, command.objective_id)
        if objective is None:
            raise DomainError.of(
                UserErrorCode.NOT_FOUND, ("input", "objectiveId"), "No such objective."
            )
        require(
            may_write_objective(
                identity.actor,
                ObjectiveOwnership(objective.owner_user_id, objective.owner_team_id),
            ),
            _MAY_NOT_WRITE,
        )
        position = (
            await db.next_position(conn, organization_id, objective.id)
            if command.position is None
            else command.position
        )
        draft = draft_from_command(
            command, default_owner_id=identity.user_id, next_position=position
        )
        raise_problems(
            [
                *read_only_problems(objective.status, ("input", "objectiveId")),
                *new_key_result_problems(draft),
                *await _owner_problems(conn, organization_id, command.owner_id),
            ]
        )
        try:
            key_result_id = await db.insert(conn, organization_id, objective.id, draft, now)
        except (db.ExternalIdTakenError, db.OwnerNotMemberError) as error:
            raise _constraint_problem(error) from None
        # A new key result: its next check-in is due one cadence after its creation, and the
        # objective's weighted progress now counts it (at its start).
        await progress.refresh_key_results(conn, organization_id, [key_result_id])
        await progress.refresh_objectives(conn, organization_id, [objective.id])
        await log_change(
            conn,
            identity,
            type="key_result.created",
            subject_type="KeyResult",
            subject_id=key_result_id,
            before=None,
            after=_snapshot(draft, objective.id, 1),
        )
    return KeyResultWritten(key_result_id, objective.id)


async def update_key_result(
    conn: Connection, identity: Identity, command: UpdateKeyResult, now: dt.datetime
) -> KeyResultWritten:
    """Change a key result; the rules judge the state it ends up in, not just the changes.

    Progress and the next check-in's due time are recomputed from the new state, since the
    start, target, weight, kind or cadence may have moved.
    """
    organization_id = identity.organization_id
    raise_problems(command.cleared())
    async with tenant_transaction(conn, organization_id):
        locked = await db.lock(conn, organization_id, command.id)
        if locked is None:
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such key result.")
        require(may_update_key_result(identity.actor, _ownership(locked)), _MAY_NOT_UPDATE)
        raise_problems(stale_version(command.version, locked.version))
        before = locked.values
        after = apply_update(before, command)
        owner_changed = after.owner_id != before.owner_id
        raise_problems(
            [
                *read_only_problems(locked.objective_status, ("input", "id")),
                *key_result_problems(after),
                *await _owner_problems(
                    conn, organization_id, after.owner_id if owner_changed else None
                ),
            ]
        )
        try:
            version = await db.update(conn, organization_id, locked.id, after, now)
        except (db.ExternalIdTakenError, db.OwnerNotMemberError) as error:
            raise _constraint_problem(error) from None
        await progress.refresh_key_results(conn, organization_id, [locked.id])
        await progress.refresh_objectives(conn, organization_id, [locked.objective_id])
        await log_change(
            conn,
            identity,
            type="key_result.updated",
            subject_type="KeyResult",
            subject_id=locked.id,
            before=_snapshot(before, locked.objective_id, locked.version),
            after=_snapshot(after, locked.objective_id, version),
        )
    return KeyResultWritten(locked.id, locked.objective_id)


async def delete_key_result(
    conn: Connection, identity: Identity, command: DeleteKeyResult
) -> KeyResultWritten:
    """Remove a key result with its check-ins; its objective's progress no longer counts it.

    Alignments that supported this key result keep supporting its objective.
    """
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        locked = await db.lock(conn, organization_id, command.id)
        if locked is None:
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such key result.")
        require(may_write_objective(identity.actor, _ownership(locked).objective), _MAY_NOT_WRITE)
        raise_problems(
            [
                *stale_version(command.version, locked.version),
                *read_only_problems(locked.objective_status, ("input", "id")),
            ]
        )
        await db.delete(conn, organization_id, locked.id)
        await progress.refresh_objectives(conn, organization_id, [locked.objective_id])
        await log_change(
            conn,
            identity,
            type="key_result.deleted",
            subject_type="KeyResult",
            subject_id=locked.id,
            before=_snapshot(locked.values, locked.objective_id, locked.version),
            after=None,
        )
    return KeyResultWritten(locked.id, locked.objective_id)
