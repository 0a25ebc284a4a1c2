"""Creating and changing cycles: unique names, valid date ranges, nesting within the parent."""

from __future__ import annotations

from typing import Any

from db import cycles as db
from db.cycles import CycleRow
from db.progress import Connection
from domain.cycles import (
    CreateCycle,
    CycleDates,
    UpdateCycle,
    contains_children_problems,
    date_range_problems,
    duplicate_cycle_name,
    parent_cycle_problems,
    within_parent_problems,
)
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.permissions import may_administer, require
from domain.updates import stale_version
from services.audit import log_change
from services.identity import Identity
from services.unique_names import unique_names

_ADMINS_ONLY = "Only an admin of the organisation may manage cycles."


def _snapshot(cycle: CycleRow) -> dict[str, Any]:
    return {
        "name": cycle.name,
        "startsOn": cycle.starts_on.isoformat(),
        "endsOn": cycle.ends_on.isoformat(),
        "parentCycleId": cycle.parent_cycle_id,
        "version": cycle.version,
    }


def _parent_not_found() -> Problem:
    return Problem(UserErrorCode.NOT_FOUND, ("input", "parentCycleId"), "No such cycle.")


async def create_cycle(conn: Connection, identity: Identity, command: CreateCycle) -> int:
    """Create a cycle, optionally inside a parent whose days it must lie within; its id."""
    require(may_administer(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    async with unique_names(conn, organization_id, db.name_taken, duplicate_cycle_name) as names:
        problems = date_range_problems(command.starts_on, command.ends_on)
        if command.parent_cycle_id is not None:
            parent = await db.share(conn, organization_id, command.parent_cycle_id)
            if parent is None:
                problems.append(_parent_not_found())
            else:
                problems += within_parent_problems(
                    command.starts_on, command.ends_on, _dates(parent)
                )
        problems += await names.problems(command.name)
        raise_problems(problems)
        cycle = await db.insert(
            conn,
            organization_id,
            name=command.name,
            starts_on=command.starts_on,
            ends_on=command.ends_on,
            parent_cycle_id=command.parent_cycle_id,
        )
        await log_change(
            conn,
            identity,
            type="cycle.created",
            subject_type="Cycle",
            subject_id=cycle.id,
            before=None,
            after=_snapshot(cycle),
        )
    return cycle.id


async def update_cycle(conn: Connection, identity: Identity, command: UpdateCycle) -> int:
    """Change the fields the command gives; the cycle's id.

    The changed cycle must still start before it ends, lie within its (perhaps new) parent and
    hold all of its own sub-cycles; it cannot move under itself or one of its sub-cycles.
    Nothing is written (and the version stays) when no field actually changes.
    """
    require(may_administer(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    raise_problems(command.cleared())
    changes = command.changes()
    moves = "parent_cycle_id" in changes
    async with unique_names(conn, organization_id, db.name_taken, duplicate_cycle_name) as names:
        if moves:
            # Before any row lock, so every mover takes the locks in the same order.
            await db.lock_tree(conn, organization_id)
        current = await db.lock(conn, organization_id, command.id)
        if current is None:
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such cycle.")
        raise_problems(stale_version(command.version, current.version))
        name = changes.get("name", current.name)
        starts_on = changes.get("starts_on", current.starts_on)
        ends_on = changes.get("ends_on", current.ends_on)
        parent_id = changes.get("parent_cycle_id", current.parent_cycle_id)
        dates_change = (starts_on, ends_on) != (current.starts_on, current.ends_on)
        parent_changes = parent_id != current.parent_cycle_id
        problems = date_range_problems(starts_on, ends_on)
        if parent_id is not None and (parent_changes or dates_change):
            # The ancestry check comes before the parent's lock: a move under one's own
            # sub-cycle is refused without waiting on (or deadlocking with) its writers.
            loop = (
                parent_cycle_problems(
                    current.id, await db.ancestors(conn, organization_id, parent_id)
                )
                if parent_changes
                else []
            )
            problems += loop
            if not loop:
                parent = await db.share(conn, organization_id, parent_id)
                if parent is None:
                    problems.append(_parent_not_found())
                else:
                    problems += within_parent_problems(starts_on, ends_on, _dates(parent))
        if dates_change:
            children = await db.children(conn, organization_id, current.id)
            problems += contains_children_problems(
                starts_on,
                ends_on,
                [CycleDates(c.name, c.starts_on, c.ends_on) for c in children],
            )
        if name != current.name:
            problems += await names.problems(name, current.id)
        raise_problems(problems)
        if (name, starts_on, ends_on, parent_id) == (
            current.name,
            current.starts_on,
            current.ends_on,
            current.parent_cycle_id,
        ):
            return current.id
        updated = await db.update(
            conn,
            organization_id,
            current.id,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            parent_cycle_id=parent_id,
        )
        await log_change(
            conn,
            identity,
            type="cycle.updated",
            subject_type="Cycle",
            subject_id=current.id,
            before=_snapshot(current),
            after=_snapshot(updated),
        )
    return updated.id


def _dates(cycle: CycleRow) -> CycleDates:
    return CycleDates(cycle.name, cycle.starts_on, cycle.ends_on)
