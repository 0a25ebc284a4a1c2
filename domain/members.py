"""People in an organisation: their roles, their status, invitations, and who may be admin.

A person is global; a membership is what one organisation knows of them: the name and email
it uses, a role, and a status. INVITED until the invitation is accepted, then ACTIVE;
DEACTIVATED people cannot sign in, and everything they wrote or own stays theirs. An
organisation always keeps at least one active admin.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from domain.errors import DomainError, Problem, UserErrorCode
from domain.updates import Update
from domain.validation import Command, Title

EMAIL_MAX = 320
INVITATION_DAYS = 14
INVITATION_DAYS_MAX = 90
INVITATION_PREFIX = "okrqlinv_"
# RFC 5321's practical shape: a local part and a dotted domain, no spaces or angle brackets.
# Deliverability is the identity provider's concern; this refuses typos and junk.
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


class MemberRole(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


class MemberStatus(StrEnum):
    INVITED = "INVITED"
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"


def email_problem(value: str) -> str | None:
    """Why `value` is not an email address okrql accepts, or None when it is one."""
    if len(value) > EMAIL_MAX:
        return f"At most {EMAIL_MAX} characters."
    local, _, domain = value.rpartition("@")
    if not _EMAIL.fullmatch(value) or len(local) > 64 or ".." in local:
        return f"{value!r} is not an email address."
    if local.startswith(".") or local.endswith(".") or len(domain) > 253:
        return f"{value!r} is not an email address."
    return None


def _email(value: str) -> str:
    trimmed = value.strip()
    if not trimmed:
        raise PydanticCustomError(UserErrorCode.REQUIRED.value, "Must not be blank.")
    problem = email_problem(trimmed)
    if problem is not None:
        raise PydanticCustomError(UserErrorCode.INVALID_EMAIL.value, problem)
    return trimmed


def parse_role(value: str, field: tuple[str, ...] = ("input", "role")) -> MemberRole:
    """A role named by an integration (SCIM sends strings): known roles only."""
    try:
        return MemberRole(value.strip().upper())
    except ValueError:
        raise DomainError.of(
            UserErrorCode.UNKNOWN_ROLE,
            field,
            f"Unknown role {value!r}: choose ADMIN, MEMBER or VIEWER.",
        ) from None


Email = Annotated[str, AfterValidator(_email)]


class InviteMember(Command):
    """A person to invite by email, with the role and teams they get when they accept."""

    email: Email
    name: Title
    role: MemberRole = MemberRole.MEMBER
    team_ids: tuple[int, ...] = ()
    expires_in_days: int = Field(default=INVITATION_DAYS, ge=1, le=INVITATION_DAYS_MAX)


class ResendInvitation(Command):
    id: int
    expires_in_days: int = Field(default=INVITATION_DAYS, ge=1, le=INVITATION_DAYS_MAX)


class RevokeInvitation(Command):
    id: int


class UpdateMember(Update):
    """Changes to a member: only the fields given change; none of them can be cleared."""

    never_cleared = ("name", "email", "role")

    id: int
    name: Title | None = None
    email: Email | None = None
    role: MemberRole | None = None
    version: int | None = None


class DeactivateMember(Command):
    id: int
    # Their objectives and key results move to this active member in the same transaction;
    # none: they stay theirs, shown as deactivated.
    transfer_ownership_to: int | None = None


class ReactivateMember(Command):
    id: int


def invitation_status(
    accepted_at: dt.datetime | None,
    revoked_at: dt.datetime | None,
    expires_at: dt.datetime,
    now: dt.datetime,
) -> InvitationStatus:
    if accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if revoked_at is not None:
        return InvitationStatus.REVOKED
    return InvitationStatus.PENDING if expires_at > now else InvitationStatus.EXPIRED


def invitation_still_open_problems(
    status: InvitationStatus, field: tuple[str, ...] = ("input", "id")
) -> list[Problem]:
    """Resending or revoking needs an invitation nobody accepted or revoked (an expired one
    may be sent again, or revoked)."""
    if status is InvitationStatus.ACCEPTED:
        return [
            Problem(
                UserErrorCode.INVITATION_ACCEPTED, field, "The invitation was already accepted."
            )
        ]
    if status is InvitationStatus.REVOKED:
        return [Problem(UserErrorCode.INVITATION_REVOKED, field, "The invitation was revoked.")]
    return []


def invitation_expiry(now: dt.datetime, days: int) -> dt.datetime:
    return now + dt.timedelta(days=days)


def new_invitation_token() -> str:
    return INVITATION_PREFIX + secrets.token_urlsafe(32)


def looks_like_invitation_token(value: str) -> bool:
    return value.startswith(INVITATION_PREFIX) and 20 < len(value) < 200


def hash_invitation_token(token: str) -> bytes:
    # 256 random bits: a plain hash suffices, as for API keys.
    return hashlib.sha256(token.encode()).digest()


def last_admin_problems(
    active_admins: frozenset[int],
    user_id: int,
    *,
    stays_admin: bool,
    field: tuple[str, ...] = ("input", "id"),
) -> list[Problem]:
    """An organisation keeps at least one active admin: the change that would leave it with
    none is refused (demoting or deactivating the last one)."""
    if stays_admin or active_admins != {user_id}:
        return []
    return [
        Problem(
            UserErrorCode.LAST_ADMIN,
            field,
            "This is the organisation's last active admin: make someone else admin first.",
        )
    ]


def existing_member_problems(status: MemberStatus | None) -> list[Problem]:
    """Inviting someone who is already a member, or already invited, is refused."""
    field = ("input", "email")
    if status is None:
        return []
    if status is MemberStatus.INVITED:
        return [
            Problem(
                UserErrorCode.ALREADY_INVITED,
                field,
                "This person is already invited: resend their invitation instead.",
            )
        ]
    return [
        Problem(
            UserErrorCode.ALREADY_MEMBER,
            field,
            "This person is already a member"
            + (
                " (deactivated: reactivate them instead)."
                if status is MemberStatus.DEACTIVATED
                else "."
            ),
        )
    ]


def duplicate_email(field: tuple[str, ...] = ("input", "email")) -> Problem:
    return Problem(
        UserErrorCode.DUPLICATE_EMAIL, field, "Another member of the organisation has this email."
    )


def joined_problems(
    status: MemberStatus, field: tuple[str, ...] = ("input", "id")
) -> list[Problem]:
    """Deactivating needs an active member, reactivating a deactivated one; an invitee is
    neither (revoke their invitation instead)."""
    if status is MemberStatus.INVITED:
        return [
            Problem(
                UserErrorCode.INVALID_TRANSITION,
                field,
                "This person has not joined yet: revoke their invitation instead.",
            )
        ]
    return []


def transfer_problems(
    user_id: int, target_status: MemberStatus | None, target_id: int
) -> list[Problem]:
    field = ("input", "transferOwnershipTo")
    if target_id == user_id:
        return [Problem(UserErrorCode.INVALID, field, "Transfer to someone else.")]
    if target_status is None:
        return [Problem(UserErrorCode.NOT_FOUND, field, "No such member.")]
    if target_status is not MemberStatus.ACTIVE:
        return [
            Problem(
                UserErrorCode.MEMBER_DEACTIVATED,
                field,
                "Ownership can only move to an active member.",
            )
        ]
    return []
