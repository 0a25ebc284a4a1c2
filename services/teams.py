"""Creating and changing teams, and who belongs to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from db import teams as db
from db.progress import Connection
from db.teams import TeamExternalIdTakenError, TeamInUseError, TeamRow
from db.tenancy import tenant_transaction
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.permissions import may_manage_teams, require
from domain.teams import (
    CreateTeam,
    DeleteTeam,
    TeamMembership,
    UpdateTeam,
    duplicate_team_external_id,
    duplicate_team_name,
    parent_team_problems,
    team_in_use_problems,
)
from domain.updates import stale_version
from services.audit import log_change
from services.identity import Identity
from services.unique_names import unique_names


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    team_id: int
    user_id: int


_ADMINS_ONLY = "Only an admin of the organisation may manage teams and their members."


def _snapshot(team: TeamRow) -> dict[str, Any]:
    return {
        "name": team.name,
        "description": team.description,
        "parentTeamId": team.parent_team_id,
        "externalId": team.external_id,
        "version": team.version,
    }


def _parent_not_found() -> Problem:
    return Problem(UserErrorCode.NOT_FOUND, ("input", "parentTeamId"), "No such team.")


def _team_not_found() -> Problem:
    return Problem(UserErrorCode.NOT_FOUND, ("input", "teamId"), "No such team.")


async def create_team(conn: Connection, identity: Identity, command: CreateTeam) -> int:
    """Create a team, optionally inside a parent team; its id."""
    require(may_manage_teams(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    try:
        async with unique_names(conn, organization_id, db.name_taken, duplicate_team_name) as names:
            problems: list[Problem] = []
            if (
                command.parent_team_id is not None
                and await db.share(conn, organization_id, command.parent_team_id) is None
            ):
                problems.append(_parent_not_found())
            problems += await names.problems(command.name)
            if command.external_id is not None and await db.external_id_taken(
                conn, organization_id, command.external_id
            ):
                problems.append(duplicate_team_external_id())
            raise_problems(problems)
            team = await db.insert(
                conn,
                organization_id,
                name=command.name,
                description=command.description,
                parent_team_id=command.parent_team_id,
                external_id=command.external_id,
            )
            await log_change(
                conn,
                identity,
                type="team.created",
                subject_type="Team",
                subject_id=team.id,
                before=None,
                after=_snapshot(team),
            )
    except TeamExternalIdTakenError:
        # A concurrent request took the external id between our check and our write.
        raise DomainError([duplicate_team_external_id()]) from None
    return team.id


async def update_team(conn: Connection, identity: Identity, command: UpdateTeam) -> int:
    """Change the fields the command gives; the team's id.

    A team cannot move under itself or one of its sub-teams. Nothing is written (and the
    version stays) when no field actually changes.
    """
    require(may_manage_teams(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    raise_problems(command.cleared())
    changes = command.changes()
    moves = "parent_team_id" in changes
    try:
        async with unique_names(conn, organization_id, db.name_taken, duplicate_team_name) as names:
            if moves:
                # Before any row lock, so every mover takes the locks in the same order.
                await db.lock_tree(conn, organization_id)
            current = await db.lock(conn, organization_id, command.id)
            if current is None:
                raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such team.")
            raise_problems(stale_version(command.version, current.version))
            name = changes.get("name", current.name)
            description = changes.get("description", current.description)
            parent_id = changes.get("parent_team_id", current.parent_team_id)
            external_id = changes.get("external_id", current.external_id)
            problems: list[Problem] = []
            if parent_id is not None and parent_id != current.parent_team_id:
                loop = parent_team_problems(
                    current.id, await db.ancestors(conn, organization_id, parent_id)
                )
                problems += loop
                if not loop and await db.share(conn, organization_id, parent_id) is None:
                    problems.append(_parent_not_found())
            if name != current.name:
                problems += await names.problems(name, current.id)
            if (
                external_id is not None
                and external_id != current.external_id
                and await db.external_id_taken(conn, organization_id, external_id, current.id)
            ):
                problems.append(duplicate_team_external_id())
            raise_problems(problems)
            if (name, description, parent_id, external_id) == (
                current.name,
                current.description,
                current.parent_team_id,
                current.external_id,
            ):
                return current.id
            updated = await db.update(
                conn,
                organization_id,
                current.id,
                name=name,
                description=description,
                parent_team_id=parent_id,
                external_id=external_id,
            )
            await log_change(
                conn,
                identity,
                type="team.updated",
                subject_type="Team",
                subject_id=current.id,
                before=_snapshot(current),
                after=_snapshot(updated),
            )
    except TeamExternalIdTakenError:
        raise DomainError([duplicate_team_external_id()]) from None
    return updated.id


async def delete_team(conn: Connection, identity: Identity, command: DeleteTeam) -> int:
    """Delete a team and its memberships; one that owns objectives or holds teams stays (the
    problem says what to move first)."""
    require(may_manage_teams(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        # The tree lock first, as every mover takes it: no team moves under this one meanwhile.
        await db.lock_tree(conn, organization_id)
        current = await db.lock(conn, organization_id, command.id)
        if current is None:
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such team.")
        problems = stale_version(command.version, current.version)
        problems += team_in_use_problems(*await db.uses(conn, organization_id, current.id))
        raise_problems(problems)
        try:
            await db.delete(conn, organization_id, current.id)
        except TeamInUseError:
            raise DomainError(team_in_use_problems(1, 0)) from None
        await log_change(
            conn,
            identity,
            type="team.deleted",
            subject_type="Team",
            subject_id=current.id,
            before=_snapshot(current),
            after=None,
        )
    return current.id


async def add_team_member(
    conn: Connection, identity: Identity, command: TeamMembership
) -> MembershipChanged:
    """Make a member of the organisation a member of the team; adding twice changes nothing."""
    require(may_manage_teams(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        problems: list[Problem] = []
        if await db.share(conn, organization_id, command.team_id) is None:
            problems.append(_team_not_found())
        if not await db.share_member(conn, organization_id, command.user_id):
            problems.append(
                Problem(
                    UserErrorCode.NOT_FOUND,
                    ("input", "userId"),
                    "No such member of the organisation.",
                )
            )
        raise_problems(problems)
        if await db.add_member(conn, organization_id, command.team_id, command.user_id):
            await log_change(
                conn,
                identity,
                type="team.member_added",
                subject_type="Team",
                subject_id=command.team_id,
                before=None,
                after={"userId": command.user_id},
            )
    return MembershipChanged(command.team_id, command.user_id)


async def remove_team_member(
    conn: Connection, identity: Identity, command: TeamMembership
) -> MembershipChanged:
    """Take a person off a team; NOT_FOUND when they are not on it."""
    require(may_manage_teams(identity.actor), _ADMINS_ONLY)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        if await db.share(conn, organization_id, command.team_id) is None:
            raise DomainError([_team_not_found()])
        if not await db.remove_member(conn, organization_id, command.team_id, command.user_id):
            raise DomainError.of(
                UserErrorCode.NOT_FOUND, ("input", "userId"), "Not a member of the team."
            )
        await log_change(
            conn,
            identity,
            type="team.member_removed",
            subject_type="Team",
            subject_id=command.team_id,
            before={"userId": command.user_id},
            after=None,
        )
    return MembershipChanged(command.team_id, command.user_id)
