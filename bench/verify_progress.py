"""Check the loader's set-based derivation against okrql's own recomputation, when it exists.

derive.sql writes the denormalised columns (KR current value, last check-in, objective progress)
that okrql maintains on write. If `api.services.progress.recompute_all(conn, organization_id)`
is importable, it is run inside a transaction on the freshly built template, the columns are
compared for a sample of rows, and the transaction is rolled back: the template keeps the
loader's values either way, and a disagreement is reported loudly (it would mean the bench
data differs from what the API itself would have stored).
"""

from __future__ import annotations

import importlib
import inspect
import math
from typing import Any

import asyncpg

from bench.config import ORG_ID

Snapshot = dict[str, list[dict[str, Any]]]
SAMPLE = 500  # every n-th row by id up to about this many rows per table

KR_SQL = """
SELECT id, current_value::float8 AS current_value, last_check_in_id, last_measured_at
FROM key_result WHERE organization_id = $1 AND id % $2 = 0 ORDER BY id
"""
OBJECTIVE_SQL = """
SELECT id, progress::float8 AS progress FROM objective
WHERE organization_id = $1 AND id % $2 = 0 ORDER BY id
"""


async def verify_against_project(url: str) -> list[str]:
    try:
        progress = importlib.import_module("api.services.progress")
    except ImportError:
        print("  api.services.progress not there yet: derivation not cross-checked", flush=True)
        return []
    recompute_all = getattr(progress, "recompute_all", None)
    if recompute_all is None:
        print("  api.services.progress has no recompute_all: not cross-checked", flush=True)
        return []

    from db.pool import create_pool  # the project's codecs, as the service expects them

    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn:
            step = max(1, await conn.fetchval("SELECT count(*) FROM key_result") // SAMPLE)
            before = await _snapshot(conn, step)
            tx = conn.transaction()
            await tx.start()
            try:
                result = recompute_all(conn, ORG_ID)
                if inspect.isawaitable(result):
                    await result
                after = await _snapshot(conn, step)
            finally:
                await tx.rollback()
    finally:
        await pool.close()

    problems = _compare(before, after)
    if problems:
        print(f"  WARNING: derive.sql disagrees with recompute_all on {len(problems)} row(s):")
        for p in problems[:10]:
            print("   -", p)
    else:
        n = len(before["key_result"]) + len(before["objective"])
        print(f"  derive.sql agrees with api.services.progress.recompute_all ({n} rows sampled)")
    return problems


async def _snapshot(conn: asyncpg.Connection, step: int) -> Snapshot:
    krs = await conn.fetch(KR_SQL, ORG_ID, step)
    objectives = await conn.fetch(OBJECTIVE_SQL, ORG_ID, max(1, step // 4))
    return {"key_result": [dict(r) for r in krs], "objective": [dict(r) for r in objectives]}


def _compare(before: Snapshot, after: Snapshot) -> list[str]:
    problems = []
    for table, rows in before.items():
        for old, new in zip(rows, after[table], strict=True):
            for col, value in old.items():
                if not _same(value, new[col]):
                    what = f"{table} {old['id']}.{col}"
                    problems.append(f"{what}: loader {value!r}, okrql {new[col]!r}")
    return problems


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return bool(a == b)
