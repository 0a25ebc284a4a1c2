"""The expected answers, computed from the source rows with plain SQL and Python.

Independent of both servers and of the denormalised columns: a KR's current value and last
check-in come from its check-in history (latest by measured time, then id), and progress is
recomputed from the KRs (okrql's rules: raw progress in float maths, scores clamped to [0, 1],
weighted mean, six decimals stored). So a check failure points at a server, or at the loader.
Answers are already in the shape bench.normalize produces.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from bench.config import ORG_ID

W1_PAGE = 1000  # first: in the W1 documents
W1_KR_PAGE = 100
W2_CHECK_INS = 20
W2_KEY_RESULTS, W2_PARENTS, W2_CHILDREN = 50, 10, 50
W4_PAGE = 50

CYCLES_SQL = "SELECT id, name, starts_on, ends_on FROM cycle WHERE organization_id = $1"
OBJECTIVES_SQL = """
SELECT o.id, o.cycle_id, o.title, o.description, o.status::text, o.level::text, o.created_at,
       o.owner_team_id, t.name AS team_name, o.owner_user_id, u.name AS user_name
FROM objective o
LEFT JOIN team t ON t.organization_id = o.organization_id AND t.id = o.owner_team_id
LEFT JOIN app_user u ON u.id = o.owner_user_id
WHERE o.organization_id = $1
ORDER BY o.id
"""
KEY_RESULTS_SQL = """
SELECT k.id, k.objective_id, k.title, k.start_value::float8 AS start_value,
       k.target_value::float8 AS target_value, k.unit::text, k.weight::float8 AS weight,
       latest.value::float8 AS value, latest.confidence::text AS confidence, latest.measured_at
FROM key_result k
LEFT JOIN LATERAL (
  SELECT c.value, c.confidence, c.measured_at FROM check_in c
  WHERE c.organization_id = k.organization_id AND c.key_result_id = k.id
  ORDER BY c.measured_at DESC, c.id DESC LIMIT 1
) latest ON true
WHERE k.organization_id = $1
ORDER BY k.objective_id, k.position, k.id
"""
ALIGNMENTS_SQL = """
SELECT child_objective_id, parent_objective_id FROM alignment WHERE organization_id = $1
"""
CHECK_INS_SQL = """
SELECT c.id, c.key_result_id, c.value::float8 AS value, c.confidence::text, c.comment,
       c.measured_at, u.name AS author_name
FROM check_in c
JOIN key_result k ON k.organization_id = c.organization_id AND k.id = c.key_result_id
LEFT JOIN app_user u ON u.id = c.author_id
WHERE c.organization_id = $1 AND k.objective_id = $2
ORDER BY c.measured_at DESC, c.id DESC
LIMIT $3
"""
# W4 is ordered by Postgres (the servers sort there too), so collation questions cannot differ.
W4_ORDER_SQL = """
SELECT id FROM objective
WHERE organization_id = $1 AND cycle_id = $2 AND status = 'ACTIVE'
ORDER BY title, id
"""


@dataclass
class Reference:
    w1: dict[int, Any] = field(default_factory=dict)  # by cycle
    w2: dict[int, Any] = field(default_factory=dict)  # by objective
    w4: dict[int, list[Any]] = field(default_factory=dict)  # by cycle: every page's answer


def kr_progress(start: float, target: float, current: float | None) -> float:
    return 0.0 if current is None else (current - start) / (target - start)


def objective_progress(krs: list[dict[str, Any]]) -> float | None:
    if not krs:
        return None
    total = sum(k["weight"] for k in krs)
    scored = sum(k["weight"] * min(max(k["progress"], 0.0), 1.0) for k in krs)
    return round(scored / total, 6)


async def build(url: str, cycles: list[int], objectives: list[int]) -> Reference:
    conn = await asyncpg.connect(url)
    try:
        return await _build(conn, cycles, objectives)
    finally:
        await conn.close()


async def _build(conn: asyncpg.Connection, cycles: list[int], sample: list[int]) -> Reference:
    cycle_rows = {r["id"]: r for r in await conn.fetch(CYCLES_SQL, ORG_ID)}
    objectives = {r["id"]: dict(r) for r in await conn.fetch(OBJECTIVES_SQL, ORG_ID)}
    krs_of: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for r in await conn.fetch(KEY_RESULTS_SQL, ORG_ID):
        kr = dict(r)
        kr["progress"] = kr_progress(kr["start_value"], kr["target_value"], kr["value"])
        krs_of[kr["objective_id"]].append(kr)
    progress = {oid: objective_progress(krs_of[oid]) for oid in objectives}
    parents, children = defaultdict(list), defaultdict(list)
    for r in await conn.fetch(ALIGNMENTS_SQL, ORG_ID):
        parents[r["child_objective_id"]].append(r["parent_objective_id"])
        children[r["parent_objective_id"]].append(r["child_objective_id"])

    def summary(oid: int) -> dict[str, Any]:
        o = objectives[oid]
        return {"id": oid, "title": o["title"], "status": o["status"], "progress": progress[oid]}

    ref = Reference()
    for c in cycles:
        cyc = cycle_rows[c]
        in_cycle = [oid for oid, o in objectives.items() if o["cycle_id"] == c][:W1_PAGE]
        ref.w1[c] = {
            "cycle": {
                "id": c,
                "name": cyc["name"],
                "startsOn": cyc["starts_on"].isoformat(),
                "endsOn": cyc["ends_on"].isoformat(),
            },
            "objectives": [_w1_objective(objectives[oid], krs_of[oid]) for oid in in_cycle],
        }
        ids = [r["id"] for r in await conn.fetch(W4_ORDER_SQL, ORG_ID, c)]
        ref.w4[c] = [
            {
                "objectives": {
                    "totalCount": len(ids),
                    "pageInfo": {"hasNextPage": start + W4_PAGE < len(ids)},
                    "edges": [{"node": _w4_node(objectives[oid], progress[oid])} for oid in page],
                }
            }
            for start in range(0, len(ids), W4_PAGE)
            if (page := ids[start : start + W4_PAGE])
        ]
    for oid in sample:
        o = objectives[oid]
        check_ins = await conn.fetch(CHECK_INS_SQL, ORG_ID, oid, W2_CHECK_INS)
        ref.w2[oid] = {
            "objective": {
                "id": oid,
                "title": o["title"],
                "description": o["description"],
                "status": o["status"],
                "createdAt": o["created_at"].isoformat(),
                "progress": progress[oid],
                "cycle": {"id": o["cycle_id"], "name": cycle_rows[o["cycle_id"]]["name"]},
                "ownerTeam": _named(o["owner_team_id"], o["team_name"]),
                "ownerUser": _named(o["owner_user_id"], o["user_name"]),
                "parents": [summary(p) for p in sorted(parents[oid])[:W2_PARENTS]],
                "children": [summary(ch) for ch in sorted(children[oid])[:W2_CHILDREN]],
                "keyResults": [_w2_key_result(k) for k in krs_of[oid][:W2_KEY_RESULTS]],
                "checkIns": [_w2_check_in(r) for r in check_ins],
            }
        }
    return ref


def _named(pk: int | None, name: str | None) -> dict[str, Any] | None:
    return None if pk is None else {"id": pk, "name": name}


def _w1_objective(o: dict[str, Any], krs: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": o["id"],
        "title": o["title"],
        "status": o["status"],
        "keyResults": [
            {
                "id": k["id"],
                "title": k["title"],
                "startValue": k["start_value"],
                "currentValue": k["value"],
                "targetValue": k["target_value"],
                "unit": k["unit"],
                "progress": k["progress"],
                "lastCheckIn": None
                if k["measured_at"] is None
                else {
                    "value": k["value"],
                    "confidence": k["confidence"],
                    "measuredAt": k["measured_at"],
                },
            }
            for k in krs[:W1_KR_PAGE]
        ],
    }


def _w2_key_result(k: dict[str, Any]) -> dict[str, Any]:
    if k["target_value"] == k["start_value"]:
        direction = None
    else:
        direction = "INCREASE" if k["target_value"] > k["start_value"] else "DECREASE"
    return {
        "id": k["id"],
        "title": k["title"],
        "startValue": k["start_value"],
        "targetValue": k["target_value"],
        "currentValue": k["value"],
        "unit": k["unit"],
        "direction": direction,
        "weight": k["weight"],
        "progress": k["progress"],
    }


def _w2_check_in(r: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": r["id"],
        "keyResult": {"id": r["key_result_id"]},
        "value": r["value"],
        "confidence": r["confidence"],
        "comment": r["comment"],
        "measuredAt": r["measured_at"],
        "author": None if r["author_name"] is None else {"name": r["author_name"]},
    }


def _w4_node(o: dict[str, Any], progress: float | None) -> dict[str, Any]:
    return {
        "id": o["id"],
        "title": o["title"],
        "status": o["status"],
        "progress": progress,
        "level": o["level"],
        "ownerTeam": None if o["owner_team_id"] is None else {"name": o["team_name"]},
        "ownerUser": None if o["owner_user_id"] is None else {"name": o["user_name"]},
    }
