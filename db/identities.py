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
    # The teams the person belongs to in this organisation.
    team_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class SignIn:
    user_id: int
    # The memberships matching the chosen organisation (at most two when none was chosen).
    memberships: tuple[Membership, ...]


async def sign_in(
    pool: asyncpg.Pool[Any],
    issuer: str,
    subject: str,
    verified_email: str | None,
    slug: str | None,
) -> SignIn | None:
    """The person (issuer, subject) names, linked on first sign-in by verified email; None
    when okrql knows nobody by them."""
    rows = await pool.fetch(query("identities", "sign_in"), issuer, subject, verified_email, slug)
    if not rows:
        return None
    memberships = tuple(
        Membership(
            r["organization_id"],
            r["organization_slug"],
            r["time_zone"],
            r["role"],
            tuple(r["team_ids"] or ()),
        )
        for r in rows
        if r["organization_id"] is not None
    )
    return SignIn(user_id=rows[0]["user_id"], memberships=memberships)
