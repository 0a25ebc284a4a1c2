"""Looking up who a request acts as."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from db.queries import query


@dataclass(frozen=True, slots=True)
class OrganizationAdmin:
    organization_id: int
    time_zone: str
    user_id: int | None
    role: str | None


async def organization_admin(pool: asyncpg.Pool[Any], slug: str) -> OrganizationAdmin | None:
    row = await pool.fetchrow(query("identity", "organization_admin"), slug)
    return None if row is None else OrganizationAdmin(**dict(row))
