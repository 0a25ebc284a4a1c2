"""Managing the organisation's people: invitations, roles and profiles, deactivation.

Admins do this through GraphQL, the identity provider through SCIM (an API key with the
`scim` scope); both land here, one transaction per change, each logged as a `member.*` event
(and so a webhook). Accepting an invitation happens at sign-in (migration 0017's
okrql_sign_in), which logs `member.joined`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from db import members as db
from db.members import EXTERNAL_ID_KEY, DuplicateMemberError, InvitationRow, MemberRow
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.members import (
    DeactivateMember,
    InviteMember,
    MemberRole,
    MemberStatus,
    ReactivateMember,
    ResendInvitation,
    RevokeInvitation,
    UpdateMember,
    duplicate_email,
    existing_member_problems,
    hash_invitation_token,
    invitation_expiry,
    invitation_status,
    invitation_still_open_problems,
    joined_problems,
    last_admin_problems,
    new_invitation_token,
    transfer_problems,
)
from domain.permissions import may_manage_members, require
from domain.scim.users import ScimMember
from domain.updates import stale_version
from services.audit import log_change
from services.identity import Identity

_MAY_NOT = "Only an admin of the organisation may manage its members."


@dataclass(frozen=True, slots=True)
class Invited:
    user_id: int
    invitation_id: int
    # Shown once, to the inviting admin, for setups that accept with the token; okrql keeps
    # only its hash.
    token: str


@dataclass(frozen=True, slots=True)
class Deactivated:
    user_id: int
    transferred_objectives: int
    transferred_key_results: int


def snapshot(member: MemberRow | ScimMember) -> dict[str, Any]:
    """A member's facts as their `member.*` events record them, however they were changed."""
    return {
        "name": member.name,
        "email": member.email,
        "role": member.role,
        "status": member.status,
        "externalId": member.external_id,
        "version": member.version,
    }


def _not_found(field: tuple[str, ...] = ("input", "id"), what: str = "member") -> DomainError:
    return DomainError.of(UserErrorCode.NOT_FOUND, field, f"No such {what}.")


def _duplicate(error: DuplicateMemberError, email_field: tuple[str, ...]) -> DomainError:
    if error.constraint == EXTERNAL_ID_KEY:
        return DomainError.of(
            UserErrorCode.DUPLICATE_EXTERNAL_ID,
            ("input", "externalId"),
            "Another member of the organisation has this external id.",
        )
    return DomainError([duplicate_email(email_field)])


async def log_member_change(
    conn: Connection,
    identity: Identity,
    type: str,
    user_id: int,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await log_change(
        conn,
        identity,
        type=type,
        subject_type="User",
        subject_id=user_id,
        before=before,
        after=after,
    )


async def _teams_problems(
    conn: Connection, organization_id: int, team_ids: tuple[int, ...]
) -> list[Problem]:
    teams = sorted(set(team_ids))
    if teams and await db.count_teams(conn, organization_id, teams) != len(teams):
        return [Problem(UserErrorCode.NOT_FOUND, ("input", "teamIds"), "No such team.")]
    return []


async def invite_member(
    conn: Connection, identity: Identity, command: InviteMember, now: dt.datetime
) -> Invited:
    """Invite a person by email: an INVITED membership with its role and teams, and a
    pending invitation that their first sign-in with that verified email accepts."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        found = await db.by_email(conn, organization_id, command.email)
        problems = existing_member_problems(None if found is None else MemberStatus(found[1]))
        problems += await _teams_problems(conn, organization_id, command.team_ids)
        raise_problems(problems)
        user_id = await db.person_for_email(conn, command.email, command.name)
        # The same person may be known here under another address (an identity provider
        # changed it): they are a member already.
        known = await db.lock(conn, organization_id, user_id)
        if known is not None:
            raise_problems(existing_member_problems(MemberStatus(known.status)))
        try:
            await db.insert(
                conn,
                organization_id,
                user_id,
                role=command.role.value,
                name=command.name,
                email=command.email,
                status=MemberStatus.INVITED.value,
            )
        except DuplicateMemberError as error:
            # A concurrent invitation or provisioning took the address first.
            raise DomainError(existing_member_problems(MemberStatus.INVITED)) from error
        teams = sorted(set(command.team_ids))
        await db.add_to_teams(conn, organization_id, teams, user_id)
        token = new_invitation_token()
        invitation_id = await db.insert_invitation(
            conn,
            organization_id,
            user_id,
            email=command.email,
            role=command.role.value,
            team_ids=teams,
            token_hash=hash_invitation_token(token),
            invited_by=identity.user_id,
            expires_at=invitation_expiry(now, command.expires_in_days),
        )
        await log_member_change(
            conn,
            identity,
            "member.invited",
            user_id,
            None,
            {
                "name": command.name,
                "email": command.email,
                "role": command.role.value,
                "status": MemberStatus.INVITED.value,
                "teamIds": teams,
                "invitationId": invitation_id,
            },
        )
    return Invited(user_id, invitation_id, token)


async def _lock_open_invitation(
    conn: Connection, organization_id: int, invitation_id: int, now: dt.datetime
) -> InvitationRow:
    """The invitation, locked; a problem unless it is still pending (or only expired)."""
    invitation = await db.lock_invitation(conn, organization_id, invitation_id)
    if invitation is None:
        raise _not_found(what="invitation")
    status = invitation_status(
        invitation.accepted_at, invitation.revoked_at, invitation.expires_at, now
    )
    raise_problems(invitation_still_open_problems(status))
    return invitation


async def resend_invitation(
    conn: Connection, identity: Identity, command: ResendInvitation, now: dt.datetime
) -> tuple[int, str]:
    """Send a pending (or expired) invitation again: a new token, a new expiry; the old
    token stops working. The invitation's id and its new token."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        invitation = await _lock_open_invitation(conn, organization_id, command.id, now)
        token = new_invitation_token()
        expires_at = invitation_expiry(now, command.expires_in_days)
        await db.resend_invitation(
            conn, organization_id, invitation.id, hash_invitation_token(token), expires_at
        )
        await log_member_change(
            conn,
            identity,
            "member.invitation_resent",
            invitation.user_id,
            {"expiresAt": invitation.expires_at.isoformat()},
            {"invitationId": invitation.id, "expiresAt": expires_at.isoformat()},
        )
    return invitation.id, token


async def revoke_invitation(
    conn: Connection, identity: Identity, command: RevokeInvitation, now: dt.datetime
) -> int:
    """Revoke a pending (or expired) invitation: its token stops working and the invitee,
    who never joined, leaves the organisation (the invitation keeps its history)."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        invitation = await _lock_open_invitation(conn, organization_id, command.id, now)
        await db.revoke_invitation(conn, organization_id, invitation.id)
        await db.delete_invited(conn, organization_id, invitation.user_id)
        await log_member_change(
            conn,
            identity,
            "member.invitation_revoked",
            invitation.user_id,
            {"status": MemberStatus.INVITED.value, "invitationId": invitation.id},
            None,
        )
    return invitation.id


async def _lock_member(
    conn: Connection, organization_id: int, user_id: int, *, admins: bool
) -> tuple[MemberRow, frozenset[int]]:
    """The member, locked; with the active admins locked first when the change may take an
    admin away (always in this order, so concurrent changes cannot deadlock)."""
    active_admins = await db.lock_active_admins(conn, organization_id) if admins else frozenset()
    member = await db.lock(conn, organization_id, user_id)
    if member is None:
        raise _not_found()
    return member, active_admins


async def update_member(conn: Connection, identity: Identity, command: UpdateMember) -> int:
    """Change a member's name, email or role (only the fields given); the last active admin
    keeps their role."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    given = command.model_fields_set
    raise_problems(command.cleared())
    async with tenant_transaction(conn, organization_id):
        current, admins = await _lock_member(
            conn, organization_id, command.id, admins="role" in given
        )
        problems = stale_version(command.version, current.version)
        changed = replace(
            current,
            name=command.name if command.name is not None else current.name,
            email=command.email if command.email is not None else current.email,
            role=command.role.value if command.role is not None else current.role,
        )
        if current.status == MemberStatus.ACTIVE.value:
            problems += last_admin_problems(
                admins, current.user_id, stays_admin=changed.role == MemberRole.ADMIN.value
            )
        if changed.email.lower() != current.email.lower():
            other = await db.by_email(conn, organization_id, changed.email)
            if other is not None and other[0] != current.user_id:
                problems.append(duplicate_email())
        raise_problems(problems)
        if changed == current:
            return current.user_id
        try:
            updated = await db.update(conn, organization_id, changed)
        except DuplicateMemberError as error:
            raise _duplicate(error, ("input", "email")) from None
        if updated.role != current.role:
            await log_member_change(
                conn,
                identity,
                "member.role_changed",
                updated.user_id,
                {"role": current.role},
                {"role": updated.role},
            )
        if (updated.name, updated.email) != (current.name, current.email):
            await log_member_change(
                conn,
                identity,
                "member.updated",
                updated.user_id,
                snapshot(current),
                snapshot(updated),
            )
    return current.user_id


async def deactivate_member(
    conn: Connection, identity: Identity, command: DeactivateMember
) -> Deactivated:
    """Deactivate a member: they cannot sign in, and their tokens and personal keys stop
    working with the next request. Everything they wrote stays; what they own stays theirs
    unless `transferOwnershipTo` names an active member to move it to. Deactivating a
    deactivated member changes nothing."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current, admins = await _lock_member(conn, organization_id, command.id, admins=True)
        problems = joined_problems(MemberStatus(current.status))
        if current.status == MemberStatus.ACTIVE.value:
            problems += last_admin_problems(admins, current.user_id, stays_admin=False)
        target = command.transfer_ownership_to
        if target is not None:
            status = await db.status_of(conn, organization_id, target)
            problems += transfer_problems(
                current.user_id, None if status is None else MemberStatus(status), target
            )
        raise_problems(problems)
        objectives: list[int] = []
        key_results: list[int] = []
        if target is not None:
            objectives, key_results = await db.transfer_ownership(
                conn, organization_id, current.user_id, target
            )
            for kind, ids in (("objective", objectives), ("key_result", key_results)):
                subject_type = "Objective" if kind == "objective" else "KeyResult"
                for subject_id in ids:
                    await log_change(
                        conn,
                        identity,
                        type=f"{kind}.updated",
                        subject_type=subject_type,
                        subject_id=subject_id,
                        before={"ownerUserId": current.user_id},
                        after={"ownerUserId": target},
                    )
        if current.status != MemberStatus.DEACTIVATED.value:
            updated = await db.set_status(
                conn, organization_id, current.user_id, MemberStatus.DEACTIVATED.value
            )
            await log_member_change(
                conn,
                identity,
                "member.deactivated",
                current.user_id,
                snapshot(current),
                snapshot(updated)
                | {"transferredTo": target, "objectives": objectives, "keyResults": key_results},
            )
    return Deactivated(current.user_id, len(objectives), len(key_results))


async def reactivate_member(conn: Connection, identity: Identity, command: ReactivateMember) -> int:
    """Let a deactivated member sign in again, with the role they had; reactivating an active
    member changes nothing."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        current, _ = await _lock_member(conn, organization_id, command.id, admins=False)
        raise_problems(joined_problems(MemberStatus(current.status)))
        if current.status == MemberStatus.DEACTIVATED.value:
            updated = await db.set_status(
                conn, organization_id, current.user_id, MemberStatus.ACTIVE.value
            )
            await log_member_change(
                conn,
                identity,
                "member.reactivated",
                current.user_id,
                snapshot(current),
                snapshot(updated),
            )
    return current.user_id


async def list_members(
    conn: Connection, identity: Identity, statuses: tuple[MemberStatus, ...] | None = None
) -> list[MemberRow]:
    """The organisation's members by name (the operator's listing; GraphQL reads `members`
    through the planner)."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        return await db.list_members(
            conn,
            identity.organization_id,
            None if statuses is None else [s.value for s in statuses],
        )


async def member_by_email(conn: Connection, identity: Identity, email: str) -> int | None:
    """The member with this email (case-insensitively), if any."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        found = await db.by_email(conn, identity.organization_id, email.strip())
    return None if found is None else found[0]
