"""Aligning objectives: keep the alignment DAG acyclic under concurrency, refresh progress, log.

Every alignment write of an organisation runs under one transaction-scoped advisory lock
(db.alignments.lock_alignments), taken before the cycle check: two requests that would each
close half of a loop are serialised, and the second sees the first's edge.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from db import alignments as db
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.alignments import (
    AlignmentEnd,
    AlignObjective,
    RemoveAlignment,
    alignment_problems,
    cycle_problems,
    existing_problems,
    open_ends_problems,
    parent_key_result_problems,
    self_alignment_problems,
)
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.permissions import ObjectiveOwnership, may_align, require
from services import progress
from services.audit import log_change
from services.identity import Identity

_MAY_NOT_ALIGN = (
    "You may not change what this objective supports: it is neither yours nor your team's."
)


@dataclass(frozen=True, slots=True)
class AlignmentChanged:
    child_objective_id: int
    parent_objective_id: int
    parent_key_result_id: int | None


async def _lock_ends(
    conn: Connection, identity: Identity, child_id: int, parent_id: int
) -> tuple[AlignmentEnd, AlignmentEnd]:
    """Lock both ends; NOT_FOUND for a missing one, FORBIDDEN unless the caller may change the
    child."""
    found = await db.lock_ends(conn, identity.organization_id, child_id, parent_id)
    missing = [
        Problem(UserErrorCode.NOT_FOUND, ("input", field), "No such objective.")
        for field, objective_id in (
            ("childObjectiveId", child_id),
            ("parentObjectiveId", parent_id),
        )
        if objective_id not in found
    ]
    raise_problems(missing)
    child, parent = (found[child_id], found[parent_id])
    require(
        may_align(identity.actor, ObjectiveOwnership(child.owner_user_id, child.owner_team_id)),
        _MAY_NOT_ALIGN,
    )
    return (
        AlignmentEnd(child.id, child.status, child.starts_on, child.ends_on),
        AlignmentEnd(parent.id, parent.status, parent.starts_on, parent.ends_on),
    )


async def align_objective(
    conn: Connection, identity: Identity, command: AlignObjective, now: dt.datetime
) -> AlignmentChanged:
    """Align a child objective under a parent (optionally one of the parent's key results).

    Order inside the transaction: the organisation's alignment lock; the pair and cycle checks;
    the supported key result (key results before objectives); the child, then the parent; then
    the write and the parent chain's progress. The checks come before any row lock: in a pair
    that would close a loop the child sits above the parent, so a progress refresh climbing
    from the parent holds it and waits for the child, and locking child-then-parent could
    deadlock with it. Once the checks pass, child-then-parent is the order every walk up the
    DAG takes too.
    """
    organization_id = identity.organization_id
    child_id, parent_id = command.child_objective_id, command.parent_objective_id
    raise_problems(self_alignment_problems(child_id, parent_id))
    async with tenant_transaction(conn, organization_id):
        await db.lock_alignments(conn, organization_id)
        conflicts = await db.conflicts(conn, organization_id, child_id, parent_id)
        raise_problems(
            [*existing_problems(conflicts.already_aligned), *cycle_problems(conflicts.closes_cycle)]
        )
        key_result_problems: list[Problem] = []
        if command.parent_key_result_id is not None:
            key_result_problems = parent_key_result_problems(
                await db.key_result_objective(conn, organization_id, command.parent_key_result_id),
                parent_id,
            )
        child, parent = await _lock_ends(conn, identity, child_id, parent_id)
        raise_problems([*alignment_problems(child, parent), *key_result_problems])
        try:
            alignment_id = await db.insert(
                conn,
                organization_id,
                child_id=child_id,
                parent_id=parent_id,
                parent_key_result_id=command.parent_key_result_id,
                weight=command.weight,
                now=now,
            )
        except db.AlignmentExistsError:
            raise DomainError(existing_problems(True)) from None
        # Parents driven by CHILDREN or BOTH now count this child, and their ancestors them.
        await progress.refresh_objectives(conn, organization_id, [parent_id])
        await log_change(
            conn,
            identity,
            type="alignment.created",
            subject_type="Alignment",
            subject_id=alignment_id,
            before=None,
            after={
                "childObjectiveId": child_id,
                "parentObjectiveId": parent_id,
                "parentKeyResultId": command.parent_key_result_id,
                "weight": str(command.weight),
            },
        )
    return AlignmentChanged(child_id, parent_id, command.parent_key_result_id)


async def remove_alignment(
    conn: Connection, identity: Identity, command: RemoveAlignment
) -> AlignmentChanged:
    """Remove the alignment of a child under a parent; the parent chain's progress follows."""
    organization_id = identity.organization_id
    child_id, parent_id = command.child_objective_id, command.parent_objective_id
    async with tenant_transaction(conn, organization_id):
        await db.lock_alignments(conn, organization_id)
        child, parent = await _lock_ends(conn, identity, child_id, parent_id)
        raise_problems(open_ends_problems(child, parent))
        removed = await db.delete(conn, organization_id, child_id, parent_id)
        if removed is None:
            raise DomainError.of(
                UserErrorCode.NOT_FOUND,
                ("input", "parentObjectiveId"),
                "The child is not aligned under this parent.",
            )
        await progress.refresh_objectives(conn, organization_id, [parent_id])
        await log_change(
            conn,
            identity,
            type="alignment.removed",
            subject_type="Alignment",
            subject_id=removed.id,
            before={
                "childObjectiveId": child_id,
                "parentObjectiveId": parent_id,
                "parentKeyResultId": removed.parent_key_result_id,
                "weight": str(removed.weight),
            },
            after=None,
        )
    return AlignmentChanged(child_id, parent_id, None)
