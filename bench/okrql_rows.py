"""The peer's rows (bench.seed) as rows of okrql's tables, table by table, ids kept.

People are global app_user rows bound to organisation 1 by membership (user 1 its only admin:
the person okrql's development mode acts as); a user's team becomes a team_member row; an
objective's parent becomes an alignment row (child -> parent); key results are NUMERIC; a
check-in's time is both its measured_at and its recorded_at. okrql's columns the peer lacks are
derived from the id, never drawn at random, so the peer's random sequence, and with it every
id, stays the same. The denormalised columns are left to the project's recompute_all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from bench import seed
from bench.config import ORG_ID, ORG_SLUG

Row = dict[str, Any]
END_OF_DAY = dt.time(18, tzinfo=dt.UTC)
CADENCES = ("WEEKLY", "BIWEEKLY", "MONTHLY")
DATA_SOURCES = ("CRM", "Email platform", "Web analytics", None)


def tables(data: seed.PeerData) -> dict[str, list[Row]]:
    """Every table's rows, in an order that satisfies the foreign keys."""
    created = seed.CREATED
    org = {"organization_id": ORG_ID}
    return {
        "organization": [
            {"id": ORG_ID, "name": "Acme Marketing AB", "slug": ORG_SLUG, "created_at": created}
        ],
        "app_user": [
            {"id": u.id, "name": u.name, "email": u.email, "created_at": created}
            for u in data.users
        ],
        "membership": [
            {
                **org,
                "user_id": u.id,
                "role": "ADMIN" if u.id == 1 else "MEMBER",
                "created_at": created,
            }
            for u in data.users
        ],
        "team": [{**org, "id": t.id, "name": t.name, "created_at": created} for t in data.teams],
        "team_member": [
            {**org, "team_id": u.team_id, "user_id": u.id, "created_at": created}
            for u in data.users
        ],
        "cycle": [
            {
                **org,
                "id": c.id,
                "name": c.name,
                "starts_on": c.starts_on,
                "ends_on": c.ends_on,
                "created_at": created,
            }
            for c in data.cycles
        ],
        "objective": list(_objectives(data)),
        "alignment": [
            {
                **org,
                "id": n,
                "child_objective_id": o.id,
                "parent_objective_id": o.parent_id,
                "created_at": o.created_at,
            }
            for n, o in enumerate((o for o in data.objectives if o.parent_id), start=1)
        ],
        "key_result": list(_key_results(data)),
        "check_in": [
            {
                **org,
                "id": c.id,
                "key_result_id": c.key_result_id,
                "author_id": c.author_id,
                "value": c.value,
                "confidence": c.confidence,
                "comment": c.comment,
                "measured_at": c.at,
                "recorded_at": c.at,
            }
            for c in data.check_ins
        ],
    }


def _level(o: seed.Objective) -> str:
    if o.owner_user_id is not None:
        return "PERSON"
    return "TEAM" if o.owner_team_id is not None else "COMPANY"


def _objectives(data: seed.PeerData) -> Iterator[Row]:
    cycle_end = {c.id: c.ends_on for c in data.cycles}
    for o in data.objectives:
        closed = o.status == "CLOSED"
        yield {
            "organization_id": ORG_ID,
            "id": o.id,
            "cycle_id": o.cycle_id,
            "level": _level(o),
            "owner_team_id": o.owner_team_id,
            "owner_user_id": o.owner_user_id,
            "title": o.title,
            "description": o.description,
            "status": o.status,
            # A closed objective must have these when inserted (a CHECK); recompute_all then sets
            # the real final score and outcome from the progress.
            "final_score": 0 if closed else None,
            "outcome": "MISSED" if closed else None,
            "closed_at": dt.datetime.combine(cycle_end[o.cycle_id], END_OF_DAY) if closed else None,
            "created_at": o.created_at,
            "updated_at": o.created_at,
        }


def _key_results(data: seed.PeerData) -> Iterator[Row]:
    position: dict[int, int] = {}
    for k in data.key_results:
        position[k.objective_id] = position.get(k.objective_id, -1) + 1
        yield {
            "organization_id": ORG_ID,
            "id": k.id,
            "objective_id": k.objective_id,
            "owner_user_id": k.owner_user_id,
            "title": k.title,
            "kind": "NUMERIC",
            "result_type": "ACTIVITY" if k.id % 5 == 0 else "RESULT",
            "unit": k.unit,
            "currency": "SEK" if k.unit == "CURRENCY" else None,
            "unit_label": "MQLs" if k.unit == "CUSTOM" else None,
            "start_value": k.start_value,
            "target_value": k.target_value,
            "weight": k.weight,
            "cadence": CADENCES[k.id % 3],
            "data_source": DATA_SOURCES[k.id % 4],
            "position": position[k.objective_id],  # the KR order inside its objective: by id
            "created_at": k.created_at,
            "updated_at": k.created_at,
        }
