"""Writes the demo organisation of db/demo_data.py (`okrql seed demo`).

Idempotent: the organisation is found by its slug and every row by its natural key, so a second
run creates nothing and a partly seeded organisation is completed. Seeding is not a user's
change, so it records no events. The derived progress columns are recomputed from scratch at
the end, the same way a live write maintains them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from db import demo_data as data
from db.progress import Connection
from db.queries import query


async def write_demo(conn: Connection) -> int:
    """Create (or complete) the demo organisation's rows, in the caller's transaction; its id.

    The derived progress columns are left to the caller (services/demo.py).
    """
    organization_id = await _organization(conn)
    users = await _users(conn, organization_id)
    teams = await _teams(conn, organization_id, users)
    cycles = await _cycles(conn, organization_id)
    objectives = await _objectives(conn, organization_id, users, teams, cycles)
    key_results = await _key_results(conn, organization_id, users, objectives)
    await _alignments(conn, organization_id, objectives, key_results)
    await _check_ins(conn, organization_id, users, objectives, key_results)
    return organization_id


async def _organization(conn: Connection) -> int:
    await conn.execute(
        query("demo", "insert_organization"),
        data.ORGANIZATION_NAME,
        data.ORGANIZATION_SLUG,
        data.TIME_ZONE,
    )
    organization_id: int = await conn.fetchval(
        query("demo", "lock_organization"), data.ORGANIZATION_SLUG
    )
    return organization_id


async def _users(conn: Connection, organization_id: int) -> dict[str, int]:
    """User id by (lower-case) email."""
    emails = [user.email.lower() for user in data.USERS]
    await conn.execute(query("demo", "insert_users"), [user.name for user in data.USERS], emails)
    rows = await conn.fetch(query("demo", "user_ids"), emails)
    ids: dict[str, int] = {r["email"]: r["id"] for r in rows}
    await conn.execute(
        query("demo", "insert_memberships"),
        organization_id,
        [ids[email] for email in emails],
        [user.role for user in data.USERS],
    )
    return ids


async def _teams(conn: Connection, organization_id: int, users: dict[str, int]) -> dict[str, int]:
    """Team id by name; parents are written before their sub-teams."""
    for level in _parents_first(data.TEAMS):
        await conn.execute(
            query("demo", "insert_teams"),
            organization_id,
            [team.name for team in level],
            [team.description for team in level],
            [team.parent for team in level],
        )
    rows = await conn.fetch(
        query("demo", "team_ids"), organization_id, [team.name for team in data.TEAMS]
    )
    ids: dict[str, int] = {r["name"]: r["id"] for r in rows}
    members = [(ids[team.name], users[email]) for team in data.TEAMS for email in team.members]
    await conn.execute(
        query("demo", "insert_team_members"),
        organization_id,
        [team_id for team_id, _ in members],
        [user_id for _, user_id in members],
    )
    return ids


async def _cycles(conn: Connection, organization_id: int) -> dict[str, int]:
    """Cycle id by name; the year is written before its quarters."""
    for level in _parents_first(data.CYCLES):
        await conn.execute(
            query("demo", "insert_cycles"),
            organization_id,
            [cycle.name for cycle in level],
            [cycle.starts_on for cycle in level],
            [cycle.ends_on for cycle in level],
            [cycle.parent for cycle in level],
        )
    rows = await conn.fetch(
        query("demo", "cycle_ids"), organization_id, [cycle.name for cycle in data.CYCLES]
    )
    return {r["name"]: r["id"] for r in rows}


async def _objectives(
    conn: Connection,
    organization_id: int,
    users: dict[str, int],
    teams: dict[str, int],
    cycles: dict[str, int],
) -> dict[str, int]:
    """Objective id by title (titles are unique in the demo data)."""
    objectives = data.OBJECTIVES
    cycle_ids = [cycles[o.cycle] for o in objectives]
    titles = [o.title for o in objectives]
    await conn.execute(
        query("demo", "insert_objectives"),
        organization_id,
        cycle_ids,
        [o.level for o in objectives],
        [None if o.team is None else teams[o.team] for o in objectives],
        [None if o.owner is None else users[o.owner] for o in objectives],
        titles,
        [o.description for o in objectives],
        [o.progress_source for o in objectives],
    )
    rows = await conn.fetch(query("demo", "objective_ids"), organization_id, cycle_ids, titles)
    return {r["title"]: r["id"] for r in rows}


async def _key_results(
    conn: Connection,
    organization_id: int,
    users: dict[str, int],
    objectives: dict[str, int],
) -> dict[tuple[str, str], int]:
    """Key result id by (objective title, key result title)."""
    rows = [
        (objectives[o.title], position, kr)
        for o in data.OBJECTIVES
        for position, kr in enumerate(o.key_results)
    ]
    await conn.execute(
        query("demo", "insert_key_results"),
        organization_id,
        [objective_id for objective_id, _, _ in rows],
        [users[kr.owner] for _, _, kr in rows],
        [kr.title for _, _, kr in rows],
        [kr.description for _, _, kr in rows],
        [kr.kind for _, _, kr in rows],
        [kr.result_type for _, _, kr in rows],
        [kr.unit for _, _, kr in rows],
        [kr.currency for _, _, kr in rows],
        [kr.unit_label for _, _, kr in rows],
        [kr.start for _, _, kr in rows],
        [kr.target for _, _, kr in rows],
        [kr.threshold_direction for _, _, kr in rows],
        [kr.weight for _, _, kr in rows],
        [kr.cadence for _, _, kr in rows],
        [kr.data_source for _, _, kr in rows],
        [position for _, position, _ in rows],
    )
    found = await conn.fetch(
        query("demo", "key_result_ids"),
        organization_id,
        [objective_id for objective_id, _, _ in rows],
        [kr.title for _, _, kr in rows],
    )
    title_of = {objective_id: title for title, objective_id in objectives.items()}
    ids = {(title_of[r["objective_id"]], r["title"]): r["id"] for r in found}
    external = [
        (ids[(o.title, kr.title)], kr.external_id)
        for o in data.OBJECTIVES
        for kr in o.key_results
        if kr.external_id is not None
    ]
    await conn.execute(
        query("demo", "set_key_result_external_ids"),
        organization_id,
        [key_result_id for key_result_id, _ in external],
        [external_id for _, external_id in external],
    )
    return ids


async def _alignments(
    conn: Connection,
    organization_id: int,
    objectives: dict[str, int],
    key_results: dict[tuple[str, str], int],
) -> None:
    links = [(o.title, a) for o in data.OBJECTIVES for a in o.supports]
    await conn.execute(
        query("demo", "insert_alignments"),
        organization_id,
        [objectives[child] for child, _ in links],
        [objectives[a.parent] for _, a in links],
        [
            None if a.parent_key_result is None else key_results[(a.parent, a.parent_key_result)]
            for _, a in links
        ],
        [a.weight for _, a in links],
    )


async def _check_ins(
    conn: Connection,
    organization_id: int,
    users: dict[str, int],
    objectives: dict[str, int],
    key_results: dict[tuple[str, str], int],
) -> None:
    rows = sorted(
        (
            (key_results[(o.title, kr.title)], users[c.author or kr.owner], c)
            for o in data.OBJECTIVES
            for kr in o.key_results
            for c in kr.check_ins
        ),
        # Recording order, so that ids follow it as they do for live check-ins.
        key=lambda row: (row[2].recorded_at, row[0]),
    )
    await conn.execute(
        query("demo", "insert_check_ins"),
        organization_id,
        [key_result_id for key_result_id, _, _ in rows],
        [author_id for _, author_id, _ in rows],
        [c.value for _, _, c in rows],
        [c.done for _, _, c in rows],
        [c.confidence for _, _, c in rows],
        [c.comment for _, _, c in rows],
        [c.measured_at for _, _, c in rows],
        [c.recorded_at for _, _, c in rows],
    )


class _Nested(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def parent(self) -> str | None: ...


_N = TypeVar("_N", bound=_Nested)


def _parents_first(items: Sequence[_N]) -> list[list[_N]]:
    """Items grouped by depth, roots first: an insert resolves parents by name, and a statement
    does not see the rows it inserts itself."""
    by_name = {item.name: item for item in items}

    def depth(item: _N) -> int:
        levels, parent = 0, item.parent
        while parent is not None:
            levels, parent = levels + 1, by_name[parent].parent
        return levels

    grouped: dict[int, list[_N]] = {}
    for item in items:
        grouped.setdefault(depth(item), []).append(item)
    return [grouped[level] for level in sorted(grouped)]
