"""SCIM Users as okrql members: a member's document, and what a provisioned document means.

A member provisioned over SCIM keeps the profile the identity provider sent (displayName,
name, emails, roles) so reads give it back; okrql's own fields follow from it:

- email: the primary email, else the work one, else the first; with no emails, userName when
  it is an email address;
- name: displayName, else name.formatted, else given and family name, else userName;
- role: the primary role, else the first; no roles leaves the role as it is, except that a
  PATCH removing them makes the member a MEMBER again;
- active: false deactivates, true (re)activates; absent changes nothing.

A member nobody provisioned reads as their okrql name and email.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.errors import DomainError
from domain.members import EMAIL_MAX, MemberRole, MemberStatus, email_problem, parse_role
from domain.scim.documents import text_value
from domain.scim.errors import invalid_value
from domain.validation import TITLE_MAX

# What SCIM keeps of a member's profile as it was sent (membership.scim).
STORED = ("displayName", "name", "emails", "roles")
EXTERNAL_ID_MAX = 255


@dataclass(frozen=True, slots=True)
class ScimMember:
    """A member as SCIM reads them."""

    user_id: int
    user_name: str | None  # None: their email
    email: str
    name: str
    role: str
    status: str
    external_id: str | None
    scim: dict[str, Any] | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class UserProfile:
    """What a User document asks okrql to keep."""

    user_name: str
    email: str
    name: str
    role: MemberRole | None  # None: as it is
    active: bool | None  # None: as it is
    external_id: str | None
    scim: dict[str, Any]


def _role_of(roles: list[dict[str, Any]]) -> str | None:
    chosen = next((r for r in roles if r.get("primary") is True), roles[0] if roles else None)
    value = None if chosen is None else chosen.get("value")
    return value if isinstance(value, str) else None


def user_document(member: ScimMember) -> dict[str, Any]:
    """The member's attributes (without id, meta and schemas: the transport adds them)."""
    document: dict[str, Any] = {"userName": member.user_name or member.email}
    if member.external_id is not None:
        document["externalId"] = member.external_id
    stored = member.scim
    if stored is None:
        document["displayName"] = member.name
        document["name"] = {"formatted": member.name}
        document["emails"] = [{"value": member.email, "type": "work", "primary": True}]
    else:
        document.update({k: stored[k] for k in STORED[:3] if k in stored})
    roles = (stored or {}).get("roles") or []
    if roles and (_role_of(roles) or "").upper() == member.role:
        document["roles"] = roles
    elif member.role != MemberRole.MEMBER.value:
        # Changed in okrql since (or never provisioned): the role okrql applies.
        document["roles"] = [{"value": member.role, "primary": True}]
    document["active"] = member.status == MemberStatus.ACTIVE.value
    return document


def _email(document: dict[str, Any], user_name: str) -> str:
    emails: list[dict[str, Any]] = document.get("emails", [])
    chosen = (
        next((e for e in emails if e.get("primary") is True), None)
        or next((e for e in emails if str(e.get("type", "")).lower() == "work"), None)
        or (emails[0] if emails else None)
    )
    if chosen is None:
        if email_problem(user_name) is None:
            return user_name
        raise invalid_value(
            "okrql needs an email address: send `emails` (or an email address as userName)."
        )
    value = chosen.get("value")
    if not isinstance(value, str) or not value.strip():
        raise invalid_value("Every value of emails needs a `value`.")
    problem = email_problem(value.strip())
    if problem is not None:
        raise invalid_value(f"emails: {problem}")
    return value.strip()


def _name(document: dict[str, Any], user_name: str) -> str:
    name = document.get("name", {})
    joined = " ".join(
        part.strip() for part in (name.get("givenName"), name.get("familyName")) if part
    )
    for candidate in (document.get("displayName"), name.get("formatted"), joined):
        if isinstance(candidate, str) and candidate.strip():
            return text_value(candidate, "displayName", TITLE_MAX)
    return user_name[:TITLE_MAX]


def user_profile(document: dict[str, Any], *, roles_removed: bool = False) -> UserProfile:
    """What okrql keeps of a whole User document (domain/scim/documents.py's form)."""
    user_name = text_value(document.get("userName"), "userName", EMAIL_MAX)
    roles = document.get("roles", [])
    role: MemberRole | None = MemberRole.MEMBER if roles_removed else None
    if roles:
        value = _role_of(roles)
        if value is None:
            raise invalid_value("roles: give the role as `value` (ADMIN, MEMBER or VIEWER).")
        try:
            role = parse_role(value)
        except DomainError as error:
            raise invalid_value(f"roles: {error}") from None
    external_id = document.get("externalId")
    if external_id is not None:
        external_id = text_value(external_id, "externalId", EXTERNAL_ID_MAX)
    return UserProfile(
        user_name=user_name,
        email=_email(document, user_name),
        name=_name(document, user_name),
        role=role,
        active=document.get("active"),
        external_id=external_id,
        scim={k: document[k] for k in STORED if k in document},
    )
