"""Checking the incrementally maintained derived columns against a recomputation."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.progress import recompute_all

_DERIVED = (
    "SELECT 'kr', id, current_value::text, done::text, last_check_in_id, next_check_in_due::text"
    " FROM key_result WHERE organization_id = $1"
    " UNION ALL SELECT 'o', id, progress::text, NULL, NULL, NULL"
    " FROM objective WHERE organization_id = $1 ORDER BY 1, 2"
)


async def assert_matches_recomputation(pool: asyncpg.Pool[Any], organization_id: int) -> None:
    """The derived columns (key results' latest check-in and due time, objectives' progress)
    equal what recompute_all makes of the source rows; the recomputation is rolled back."""
    async with pool.acquire() as conn:
        incremental = [tuple(r) for r in await conn.fetch(_DERIVED, organization_id)]
        tx = conn.transaction()
        await tx.start()
        try:
            await recompute_all(conn, organization_id)
            scratch = [tuple(r) for r in await conn.fetch(_DERIVED, organization_id)]
        finally:
            await tx.rollback()
    assert incremental == scratch
