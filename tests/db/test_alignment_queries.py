"""The alignment queries on a real PostgreSQL: the recursive cycle check agrees with the
domain rule, and the advisory lock serialises one organisation's writers and no other's."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import asyncpg

from db import alignments as db
from db.organizations import create_organization
from domain.alignments import closes_cycle


async def test_the_recursive_check_agrees_with_the_rule(
    pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a random DAG grown the way the API grows it
    rng = random.Random(20261127)
    async with pool.acquire() as conn:
        cycle = await conn.fetchval(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
            " VALUES ($1, 'Q4', '2026-10-01', '2026-12-31') RETURNING id",
            org["id"],
        )
        ids = [
            await conn.fetchval(
                "INSERT INTO objective (organization_id, cycle_id, level, title)"
                " VALUES ($1, $2, 'COMPANY', $3) RETURNING id",
                org["id"],
                cycle,
                f"O{n}",
            )
            for n in range(10)
        ]
        edges: list[tuple[int, int]] = []
        for _ in range(40):
            child, parent = rng.sample(ids, 2)
            if (child, parent) not in edges and not closes_cycle(edges, child, parent):
                await conn.execute(
                    "INSERT INTO alignment (organization_id, child_objective_id,"
                    " parent_objective_id) VALUES ($1, $2, $3)",
                    org["id"],
                    child,
                    parent,
                )
                edges.append((child, parent))
        assert len(edges) > 10
        # then for every pair the SQL answers what the pure rule answers
        for child in ids:
            for parent in ids:
                if child == parent:
                    continue  # self-alignment is refused before any query runs
                found = await db.conflicts(conn, org["id"], child, parent)
                assert found.closes_cycle == closes_cycle(edges, child, parent), (child, parent)
                assert found.already_aligned == ((child, parent) in edges)
        assert sorted(await db.edges(conn, org["id"])) == sorted(edges)


async def test_the_lock_serialises_one_organisation_only(
    pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    async with pool.acquire() as other_conn:
        other = await create_organization(
            other_conn, "Annan AB", f"t-{uuid.uuid4().hex[:12]}", "UTC"
        )
    async with pool.acquire() as holder, pool.acquire() as waiter:
        holding = holder.transaction()
        await holding.start()
        await db.lock_alignments(holder, org["id"])
        # another organisation's writer is not held up
        async with waiter.transaction():
            await asyncio.wait_for(db.lock_alignments(waiter, other), timeout=5)
        # the same organisation's writer waits until the holder's transaction ends
        waiting = waiter.transaction()
        await waiting.start()
        blocked = asyncio.ensure_future(db.lock_alignments(waiter, org["id"]))
        await asyncio.sleep(0.2)
        assert not blocked.done()
        await holding.commit()
        await asyncio.wait_for(blocked, timeout=5)
        await waiting.commit()
