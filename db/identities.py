"""Matching a verified token to a person and their membership (before a tenant is bound)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.queries import query


@dataclass(frozen=True, slots=True)
class Membership:
    organization_id: int
    organization_slug: str
    time_zone: str
    role: str
    # ACTIVE; DEACTIVATED (signs nobody in); INVITED (an invitation this sign-in did not
    # accept: expired, or sent to another address).
    status: str
    # The teams the person belongs to in this organisation.
    team_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SignIn:
    # None: nobody okrql knows, but an invitation token came (see `invitation`).
    user_id: int | None
    # The memberships matching the chosen organisation (at most two when none was chosen).
    memberships: tuple[Membership, ...]
    # What became of the invitation token that came with the sign-in, when it let nobody in:
    # INVITATION_EXPIRED, INVITATION_REVOKED, INVITATION_ACCEPTED, INVITATION_UNKNOWN or
    # INVITATION_FOR_ANOTHER_PERSON.
    invitation: str | None = None


async def sign_in(
    pool: asyncpg.Pool[Any],
    issuer: str,
    subject: str,
    verified_email: str | None,
    slug: str | None,
    invitation_hash: bytes | None = None,
) -> SignIn | None:
    """The person (issuer, subject) names, linked on first sign-in by verified email or by
    an invitation token; None when okrql knows nobody by them."""
    rows = await pool.fetch(
        query("identities", "sign_in"), issuer, subject, verified_email, slug, invitation_hash
    )
    if not rows:
        return None
    memberships = tuple(
        Membership(
            r["organization_id"],
            r["organization_slug"],
            r["time_zone"],
            r["role"],
            r["status"],
            tuple(r["team_ids"] or ()),
        )
        for r in rows
        if r["organization_id"] is not None
    )
    invitation = next(
        (r["status"] for r in rows if r["organization_id"] is None and r["status"]), None
    )
    return SignIn(user_id=rows[0]["user_id"], memberships=memberships, invitation=invitation)
