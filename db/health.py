"""Readiness: is the database reachable, and at which migration?"""

from __future__ import annotations

from typing import Any

import asyncpg

from db.queries import query


async def migration_revision(pool: asyncpg.Pool[Any]) -> str | None:
    revision: str | None = await pool.fetchval(query("health", "migration_revision"), timeout=2)
    return revision
