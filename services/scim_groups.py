"""Provisioning teams from an identity provider (SCIM Groups): one transaction per request.

Each change goes through the team use cases (services/teams.py), nested in the request's
transaction, so it is checked and logged (`team.created`, `team.updated`,
`team.member_added`, `team.member_removed`, `team.deleted`) as in GraphQL.
"""

from __future__ import annotations

from typing import Any

from db import scim as db
from db import teams as teams_db
from db.ids import MalformedIdError, decode_id_of, encode_id
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.permissions import may_manage_teams, require
from domain.scim.documents import read_document
from domain.scim.errors import invalid_value, not_found
from domain.scim.filters import Filter
from domain.scim.groups import GroupProfile, ScimTeam, group_document, group_profile
from domain.scim.patch import apply_patch
from domain.scim.schemas import COMMON, GROUP
from domain.teams import CreateTeam, DeleteTeam, TeamMembership, UpdateTeam
from services import teams
from services.identity import Identity
from services.scim_users import check_version

_MAY_NOT = "Only an admin or the identity provider's SCIM key may manage teams."


def _no_group() -> Exception:
    return not_found("No such group in this organisation.")


async def list_groups(
    conn: Connection, identity: Identity, tree: Filter | None, offset: int, count: int
) -> tuple[int, list[ScimTeam]]:
    require(may_manage_teams(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        return await db.list_teams(conn, identity.organization_id, tree, offset, count)


async def get_group(conn: Connection, identity: Identity, team_id: int) -> ScimTeam:
    require(may_manage_teams(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        team = await db.team(conn, identity.organization_id, team_id)
    if team is None:
        raise _no_group()
    return team


async def _member_ids(conn: Connection, organization_id: int, profile: GroupProfile) -> set[int]:
    """The user ids of the members a document names: users SCIM sees in this organisation."""
    ids: set[int] = set()
    for value in profile.member_ids:
        try:
            ids.add(decode_id_of(value, "User"))
        except MalformedIdError:
            raise invalid_value(f"members: {value!r} is not the id of a user.") from None
    known = await db.provisioned_members(conn, organization_id, sorted(ids))
    unknown = sorted(ids - known)
    if unknown:
        raise invalid_value(
            f"members: no user {encode_id('User', unknown[0])!r} in this organisation."
        )
    return ids


async def _set_members(
    conn: Connection, identity: Identity, team_id: int, before: set[int], after: set[int]
) -> None:
    for user_id in sorted(after - before):
        await teams.add_team_member(
            conn, identity, TeamMembership(team_id=team_id, user_id=user_id)
        )
    for user_id in sorted(before - after):
        await teams.remove_team_member(
            conn, identity, TeamMembership(team_id=team_id, user_id=user_id)
        )


async def _reread(conn: Connection, organization_id: int, team_id: int) -> ScimTeam:
    team = await db.team(conn, organization_id, team_id)
    assert team is not None
    return team


async def create_group(conn: Connection, identity: Identity, body: dict[str, Any]) -> ScimTeam:
    """POST /Groups: a new team with its members."""
    require(may_manage_teams(identity.actor), _MAY_NOT)
    profile = group_profile(read_document(body, GROUP, COMMON))
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        members = await _member_ids(conn, organization_id, profile)
        team_id = await teams.create_team(
            conn,
            identity,
            CreateTeam(name=profile.name, external_id=profile.external_id),
        )
        await _set_members(conn, identity, team_id, set(), members)
        return await _reread(conn, organization_id, team_id)


async def _change(
    conn: Connection,
    identity: Identity,
    team_id: int,
    expected_version: int | None,
    profile_of: Any,
) -> ScimTeam:
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        locked = await teams_db.lock(conn, organization_id, team_id)
        current = None if locked is None else await db.team(conn, organization_id, team_id)
        if current is None:
            raise _no_group()
        check_version(expected_version, current.version)
        profile: GroupProfile = profile_of(current)
        members = await _member_ids(conn, organization_id, profile)
        if (profile.name, profile.external_id) != (current.name, current.external_id):
            await teams.update_team(
                conn,
                identity,
                UpdateTeam(id=team_id, name=profile.name, external_id=profile.external_id),
            )
        await _set_members(conn, identity, team_id, set(current.member_ids), members)
        return await _reread(conn, organization_id, team_id)


async def replace_group(
    conn: Connection,
    identity: Identity,
    team_id: int,
    body: dict[str, Any],
    expected_version: int | None,
) -> ScimTeam:
    """PUT /Groups/{id}: name, external id and members as the document says."""
    require(may_manage_teams(identity.actor), _MAY_NOT)
    profile = group_profile(read_document(body, GROUP, COMMON))
    return await _change(conn, identity, team_id, expected_version, lambda _: profile)


async def patch_group(
    conn: Connection,
    identity: Identity,
    team_id: int,
    body: Any,
    expected_version: int | None,
) -> ScimTeam:
    """PATCH /Groups/{id}: displayName, externalId and members changed in place."""
    require(may_manage_teams(identity.actor), _MAY_NOT)

    def patched(current: ScimTeam) -> GroupProfile:
        ids = [encode_id("User", i) for i in current.member_ids]
        return group_profile(apply_patch(group_document(current, ids, ""), body, GROUP, COMMON))

    return await _change(conn, identity, team_id, expected_version, patched)


async def delete_group(
    conn: Connection, identity: Identity, team_id: int, expected_version: int | None
) -> None:
    """DELETE /Groups/{id}: the team goes, unless it owns objectives or holds teams (409)."""
    require(may_manage_teams(identity.actor), _MAY_NOT)
    await teams.delete_team(conn, identity, DeleteTeam(id=team_id, version=expected_version))
