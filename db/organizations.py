"""Provisioning: organisations and their members."""

from __future__ import annotations

from typing import Any

import asyncpg

from db.queries import query


async def create_organization(
    conn: asyncpg.Connection[Any], name: str, slug: str, time_zone: str = "UTC"
) -> int:
    organization_id: int = await conn.fetchval(
        query("organizations", "create_organization"), name, slug, time_zone
    )
    return organization_id


async def add_member(
    conn: asyncpg.Connection[Any], organization_id: int, name: str, email: str, role: str
) -> int:
    """Add a person (created on first sight of their email) to an organisation; their id."""
    user_id: int = await conn.fetchval(query("organizations", "upsert_user"), name, email)
    await conn.execute(query("organizations", "add_member"), organization_id, user_id, role)
    return user_id
