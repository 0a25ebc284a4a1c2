"""Building OKR trees directly in the database for tests that need many rows.

Only for arranging test data: the API's own writes go through services and mutations.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg

from services.progress import recompute_all


async def objective_tree(
    conn: asyncpg.Connection[Any], organization_id: int, owner_id: int, objectives: int
) -> list[int]:
    """`objectives` objectives in one cycle, each with two key results and three check-ins,
    every one after the first aligned under the first; returns the objective ids."""
    cycle_id = await conn.fetchval(
        """INSERT INTO cycle (organization_id, name, starts_on, ends_on)
           VALUES ($1, $2, '2026-10-01', '2026-12-31') RETURNING id""",
        organization_id,
        f"Q4 ({objectives})",
    )
    ids: list[int] = []
    for n in range(objectives):
        objective_id = await conn.fetchval(
            """INSERT INTO objective (organization_id, cycle_id, level, owner_user_id, title)
               VALUES ($1, $2, 'PERSON', $3, $4) RETURNING id""",
            organization_id,
            cycle_id,
            owner_id,
            f"Objective {n:03}",
        )
        ids.append(objective_id)
        if n:
            await conn.execute(
                """INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id)
                   VALUES ($1, $2, $3)""",
                organization_id,
                objective_id,
                ids[0],
            )
        for k in range(2):
            kr_id = await conn.fetchval(
                """INSERT INTO key_result (organization_id, objective_id, owner_user_id, title,
                       start_value, target_value, position)
                   VALUES ($1, $2, $3, $4, '0', '100', $5) RETURNING id""",
                organization_id,
                objective_id,
                owner_id,
                f"Key result {n}.{k}",
                k,
            )
            for day in range(3):
                await conn.execute(
                    """INSERT INTO check_in (organization_id, key_result_id, author_id, value,
                           confidence, measured_at)
                       VALUES ($1, $2, $3, $4, 'ON_TRACK', $5)""",
                    organization_id,
                    kr_id,
                    owner_id,
                    str(10 * (day + 1) + n % 7),
                    dt.datetime(2026, 11, 1 + day, 9, tzinfo=dt.UTC),
                )
    await recompute_all(conn, organization_id)
    return ids
