"""What W3 must leave behind, checked in the database after the write check and each W3 run.

Every request inserts one check-in; each touched KR's current value and last check-in equal its
latest check-in by measured time (then id); each touched objective's stored progress equals the
recomputation from its KRs. Both servers are held to the same SQL.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from bench.config import ORG_ID

WRITABLE_KEY_RESULTS_SQL = """
SELECT k.id FROM key_result k
JOIN objective o ON o.organization_id = k.organization_id AND o.id = k.objective_id
WHERE k.organization_id = $1 AND o.status NOT IN ('CLOSED', 'ARCHIVED')
ORDER BY k.id
"""
MAX_CHECK_IN_SQL = "SELECT coalesce(max(id), 0) FROM check_in WHERE organization_id = $1"
INSERTED_SQL = "SELECT count(*) FROM check_in WHERE organization_id = $1 AND id > $2"
TOUCHED_SQL = """
SELECT DISTINCT key_result_id FROM check_in WHERE organization_id = $1 AND id > $2
"""
KR_MISMATCH_SQL = """
SELECT count(*) FROM key_result k
JOIN LATERAL (
  SELECT c.id, c.value FROM check_in c
  WHERE c.organization_id = k.organization_id AND c.key_result_id = k.id
  ORDER BY c.measured_at DESC, c.id DESC LIMIT 1
) latest ON true
WHERE k.organization_id = $1 AND k.id = ANY($2::bigint[])
  AND (k.current_value, k.last_check_in_id) IS DISTINCT FROM (latest.value, latest.id)
"""
OBJECTIVE_MISMATCH_SQL = """
SELECT count(*) FROM objective o
JOIN (
  SELECT objective_id,
         sum(weight::float8 * least(greatest(coalesce(
               (current_value::float8 - start_value::float8)
               / (target_value::float8 - start_value::float8), 0), 0), 1))
           / sum(weight::float8) AS progress
  FROM key_result WHERE organization_id = $1 GROUP BY objective_id
) scored ON scored.objective_id = o.id
WHERE o.organization_id = $1
  AND o.id IN (SELECT objective_id FROM key_result WHERE organization_id = $1
               AND id = ANY($2::bigint[]))
  AND abs(o.progress::float8 - scored.progress) > 1e-6
"""


async def _fetch(url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


def writable_key_results(url: str) -> list[int]:
    """KRs that accept a check-in (okrql refuses them on closed or archived objectives)."""
    return [r["id"] for r in asyncio.run(_fetch(url, WRITABLE_KEY_RESULTS_SQL, ORG_ID))]


def max_check_in_id(url: str) -> int:
    return int(asyncio.run(_fetch(url, MAX_CHECK_IN_SQL, ORG_ID))[0][0])


async def _verify(url: str, base: int) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        inserted = await conn.fetchval(INSERTED_SQL, ORG_ID, base)
        touched = [r[0] for r in await conn.fetch(TOUCHED_SQL, ORG_ID, base)]
        kr_mismatch = await conn.fetchval(KR_MISMATCH_SQL, ORG_ID, touched)
        objective_mismatch = await conn.fetchval(OBJECTIVE_MISMATCH_SQL, ORG_ID, touched)
    finally:
        await conn.close()
    return {
        "rows_inserted": inserted,
        "kr_mismatch": kr_mismatch,
        "objective_mismatch": objective_mismatch,
    }


def verify_since(url: str, base: int) -> dict[str, int]:
    """The write checks for every check-in with an id above `base`."""
    return asyncio.run(_verify(url, base))


def verify_probe(url: str, key_result: int, check_in_id: int | None) -> list[str]:
    """After the single write check: the row is there and the KR and objective moved."""
    if check_in_id is None:
        return ["w3: no check-in id in the answer"]
    found = asyncio.run(
        _fetch(
            url,
            "SELECT key_result_id FROM check_in WHERE organization_id = $1 AND id = $2",
            ORG_ID,
            check_in_id,
        )
    )
    if not found or found[0][0] != key_result:
        return [f"w3: check-in {check_in_id} not stored for key result {key_result}"]
    result = verify_since(url, check_in_id - 1)
    return [f"w3: {k} = {v}" for k, v in result.items() if k != "rows_inserted" and v]
