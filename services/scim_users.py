"""Provisioning members from an identity provider (SCIM Users): one transaction per request.

The same rules as the GraphQL member mutations (services/members.py) hold: emails are unique
in the organisation, the last active admin stays an active admin (409), deactivating stops
the member's tokens with their next request, and every change is a `member.*` event (and so
a webhook). What is SCIM's own:

- POST makes an ACTIVE member at once (the identity provider vouches for them: no invitation);
  a member with an open invitation for that email is taken over (the invitation is revoked).
  Provisioning the userName of a member the provider deleted brings that member back, with
  their history, under the same id.
- DELETE deactivates the member and removes them from SCIM (GET answers 404 afterwards, as
  Entra ID checks); okrql keeps them, deactivated, with everything they wrote. An invitee who
  never joined is removed as revokeInvitation does.
"""

from __future__ import annotations

from typing import Any

from db import members as members_db
from db import scim as db
from db.members import EMAIL_KEY, EXTERNAL_ID_KEY, DuplicateMemberError
from db.progress import Connection
from db.scim import USER_NAME_KEY
from db.tenancy import tenant_transaction
from domain.members import MemberRole, MemberStatus, last_admin_problems
from domain.permissions import may_manage_members, require
from domain.scim.documents import read_document
from domain.scim.errors import ScimError, not_found, uniqueness
from domain.scim.filters import Filter
from domain.scim.patch import apply_patch
from domain.scim.schemas import COMMON, USER
from domain.scim.users import ScimMember, UserProfile, user_document, user_profile
from services.identity import Identity
from services.members import log_member_change, snapshot

_MAY_NOT = "Only an admin or the identity provider's SCIM key may manage members."


def _no_user(user_id: int | None = None) -> ScimError:
    return not_found("No such user in this organisation.")


def precondition_failed(expected: int, current: int) -> ScimError:
    return ScimError(
        412, f"The resource changed since version {expected} (now {current}): read it again."
    )


def check_version(expected: int | None, current: int) -> None:
    """If-Match: the write goes ahead only on the version the client read."""
    if expected is not None and expected != current:
        raise precondition_failed(expected, current)


def _duplicate(error: DuplicateMemberError) -> ScimError:
    if error.constraint == USER_NAME_KEY:
        return uniqueness("Another member of the organisation has this userName.")
    if error.constraint == EXTERNAL_ID_KEY:
        return uniqueness("Another member of the organisation has this externalId.")
    if error.constraint == EMAIL_KEY:
        return uniqueness("Another member of the organisation has this email.")
    return uniqueness("This person is already a member of the organisation.")


def _facts(member: ScimMember) -> dict[str, Any]:
    return {"userName": member.user_name or member.email, **snapshot(member)}


async def list_users(
    conn: Connection, identity: Identity, tree: Filter | None, offset: int, count: int
) -> tuple[int, list[ScimMember]]:
    require(may_manage_members(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        return await db.list_users(conn, identity.organization_id, tree, offset, count)


async def get_user(conn: Connection, identity: Identity, user_id: int) -> ScimMember:
    require(may_manage_members(identity.actor), _MAY_NOT)
    async with tenant_transaction(conn, identity.organization_id, mode="read"):
        member = await db.user(conn, identity.organization_id, user_id)
    if member is None:
        raise _no_user()
    return member


async def _reread(conn: Connection, organization_id: int, user_id: int) -> ScimMember:
    member = await db.user(conn, organization_id, user_id)
    assert member is not None
    return member


async def _activate_invitee(conn: Connection, identity: Identity, user_id: int) -> None:
    """An invitee the identity provider provisions joins now: their invitation is revoked."""
    organization_id = identity.organization_id
    invitation_id = await members_db.open_invitation_of(conn, organization_id, user_id)
    if invitation_id is not None:
        await members_db.revoke_invitation(conn, organization_id, invitation_id)
    await members_db.set_status(conn, organization_id, user_id, MemberStatus.ACTIVE.value)
    await log_member_change(
        conn,
        identity,
        "member.provisioned",
        user_id,
        {"status": MemberStatus.INVITED.value, "invitationId": invitation_id},
        {"status": MemberStatus.ACTIVE.value},
    )


async def _write(
    conn: Connection,
    identity: Identity,
    current: ScimMember,
    profile: UserProfile,
    admins: frozenset[int],
) -> None:
    """Make the member what `profile` says: profile, role, then status; each change logged."""
    organization_id = identity.organization_id
    role = profile.role.value if profile.role is not None else current.role
    status = current.status
    if profile.active is True and current.status != MemberStatus.ACTIVE.value:
        status = MemberStatus.ACTIVE.value
    elif profile.active is False and current.status == MemberStatus.ACTIVE.value:
        status = MemberStatus.DEACTIVATED.value
    if current.status == MemberStatus.ACTIVE.value:
        problems = last_admin_problems(
            admins,
            current.user_id,
            stays_admin=role == MemberRole.ADMIN.value and status == MemberStatus.ACTIVE.value,
        )
        if problems:
            raise ScimError(409, problems[0].message)
    written = (
        profile.name,
        profile.email,
        role,
        profile.external_id,
        profile.user_name,
        profile.scim,
    )
    before = (
        current.name,
        current.email,
        current.role,
        current.external_id,
        current.user_name,
        current.scim,
    )
    if written != before:
        try:
            await db.write_user(
                conn,
                organization_id,
                current.user_id,
                name=profile.name,
                email=profile.email,
                role=role,
                external_id=profile.external_id,
                user_name=profile.user_name,
                scim=profile.scim,
            )
        except DuplicateMemberError as error:
            raise _duplicate(error) from None
        after = await _reread(conn, organization_id, current.user_id)
        if role != current.role:
            await log_member_change(
                conn,
                identity,
                "member.role_changed",
                current.user_id,
                {"role": current.role},
                {"role": role},
            )
        if written[:2] + written[3:5] != before[:2] + before[3:5] or profile.scim != current.scim:
            await log_member_change(
                conn, identity, "member.updated", current.user_id, _facts(current), _facts(after)
            )
    if status == current.status:
        return
    if current.status == MemberStatus.INVITED.value:
        await _activate_invitee(conn, identity, current.user_id)
        return
    await members_db.set_status(conn, organization_id, current.user_id, status)
    event = (
        "member.deactivated" if status == MemberStatus.DEACTIVATED.value else "member.reactivated"
    )
    await log_member_change(
        conn,
        identity,
        event,
        current.user_id,
        {"status": current.status},
        {"status": status},
    )


async def provision_user(conn: Connection, identity: Identity, body: dict[str, Any]) -> ScimMember:
    """POST /Users: a new member (or one the provider deleted, back)."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    profile = user_profile(read_document(body, USER, COMMON))
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        admins = await members_db.lock_active_admins(conn, organization_id)
        found = await db.lock_by_user_name(conn, organization_id, profile.user_name)
        if found is not None and not found.deprovisioned:
            raise uniqueness(
                f"A member of the organisation has the userName {profile.user_name!r}."
            )
        if found is None:
            found = await db.lock_by_email(conn, organization_id, profile.email)
            if (
                found is not None
                and not found.deprovisioned
                and found.status != MemberStatus.INVITED.value
            ):
                raise uniqueness("Another member of the organisation has this email.")
        if found is not None:
            if found.deprovisioned:
                await db.restore_user(conn, organization_id, found.user_id)
                await log_member_change(
                    conn,
                    identity,
                    "member.provisioned",
                    found.user_id,
                    {"status": found.status, "deprovisioned": True},
                    {"deprovisioned": False},
                )
            current = await db.user(conn, organization_id, found.user_id, lock=True)
            assert current is not None
            if profile.active is None:
                profile = _with_active(profile)
            await _write(conn, identity, current, profile, admins)
            return await _reread(conn, organization_id, found.user_id)
        user_id = await members_db.person_for_email(conn, profile.email, profile.name)
        if await members_db.lock(conn, organization_id, user_id) is not None:
            # The same person, known here under another userName and email.
            raise uniqueness("This person is already a member of the organisation.")
        active = profile.active is not False
        status = MemberStatus.ACTIVE if active else MemberStatus.DEACTIVATED
        role = (profile.role or MemberRole.MEMBER).value
        try:
            await db.insert_user(
                conn,
                organization_id,
                user_id,
                role=role,
                name=profile.name,
                email=profile.email,
                status=status.value,
                external_id=profile.external_id,
                user_name=profile.user_name,
                scim=profile.scim,
            )
        except DuplicateMemberError as error:
            raise _duplicate(error) from None
        member = await _reread(conn, organization_id, user_id)
        await log_member_change(conn, identity, "member.provisioned", user_id, None, _facts(member))
    return member


def _with_active(profile: UserProfile) -> UserProfile:
    """A POST without `active` makes an active member (Okta and Entra ID always send it)."""
    return UserProfile(
        user_name=profile.user_name,
        email=profile.email,
        name=profile.name,
        role=profile.role,
        active=True,
        external_id=profile.external_id,
        scim=profile.scim,
    )


async def replace_user(
    conn: Connection,
    identity: Identity,
    user_id: int,
    body: dict[str, Any],
    expected_version: int | None,
) -> ScimMember:
    """PUT /Users/{id}: the member as the document says (attributes left out are cleared,
    except `active` and `roles`, which stay as they are)."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    profile = user_profile(read_document(body, USER, COMMON))
    return await _change(conn, identity, user_id, expected_version, lambda _: profile)


async def patch_user(
    conn: Connection,
    identity: Identity,
    user_id: int,
    body: Any,
    expected_version: int | None,
) -> ScimMember:
    """PATCH /Users/{id}: the operations applied to the member's document, all or none."""
    require(may_manage_members(identity.actor), _MAY_NOT)

    def patched(current: ScimMember) -> UserProfile:
        document = user_document(current)
        changed = apply_patch(document, body, USER, COMMON)
        return user_profile(changed, roles_removed="roles" in document and "roles" not in changed)

    return await _change(conn, identity, user_id, expected_version, patched)


async def _lock(
    conn: Connection, organization_id: int, user_id: int, expected_version: int | None
) -> tuple[frozenset[int], ScimMember]:
    """The active admins and the member, locked, the member at the version If-Match names."""
    # Admins first, then the member: the order every member change locks in.
    admins = await members_db.lock_active_admins(conn, organization_id)
    current = await db.user(conn, organization_id, user_id, lock=True)
    if current is None:
        raise _no_user()
    check_version(expected_version, current.version)
    return admins, current


async def _change(
    conn: Connection,
    identity: Identity,
    user_id: int,
    expected_version: int | None,
    profile_of: Any,
) -> ScimMember:
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        admins, current = await _lock(conn, organization_id, user_id, expected_version)
        await _write(conn, identity, current, profile_of(current), admins)
        return await _reread(conn, organization_id, user_id)


async def deprovision_user(
    conn: Connection, identity: Identity, user_id: int, expected_version: int | None
) -> None:
    """DELETE /Users/{id}: deactivated, and gone from SCIM; kept in okrql."""
    require(may_manage_members(identity.actor), _MAY_NOT)
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        admins, current = await _lock(conn, organization_id, user_id, expected_version)
        if current.status == MemberStatus.INVITED.value:
            invitation_id = await members_db.open_invitation_of(conn, organization_id, user_id)
            if invitation_id is not None:
                await members_db.revoke_invitation(conn, organization_id, invitation_id)
            await members_db.delete_invited(conn, organization_id, user_id)
            await log_member_change(
                conn,
                identity,
                "member.invitation_revoked",
                user_id,
                {"status": current.status, "invitationId": invitation_id},
                None,
            )
            return
        if current.status == MemberStatus.ACTIVE.value:
            problems = last_admin_problems(admins, user_id, stays_admin=False)
            if problems:
                raise ScimError(409, problems[0].message)
            await members_db.set_status(
                conn, organization_id, user_id, MemberStatus.DEACTIVATED.value
            )
            await log_member_change(
                conn,
                identity,
                "member.deactivated",
                user_id,
                {"status": current.status},
                {"status": MemberStatus.DEACTIVATED.value},
            )
        await db.deprovision_user(conn, organization_id, user_id)
        await log_member_change(
            conn,
            identity,
            "member.deprovisioned",
            user_id,
            _facts(current),
            None,
        )
