"""Cycle writes: locking, the reads the nesting rules need, insert and update."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from db.progress import Connection
from db.queries import query
from db.unique_names import unique_name

# The schema's UNIQUE (organization_id, name): the last word on duplicate names, also when two
# requests pass the name check at the same time.
NAME_KEY = "cycle_organization_id_name_key"


@dataclass(frozen=True, slots=True)
class CycleRow:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date
    parent_cycle_id: int | None
    version: int


@dataclass(frozen=True, slots=True)
class ChildCycle:
    name: str
    starts_on: dt.date
    ends_on: dt.date


def _row(record: Any) -> CycleRow:
    return CycleRow(**dict(record))


async def lock_tree(conn: Connection, organization_id: int) -> None:
    """Hold, until the transaction ends, the right to move cycles between parents."""
    await conn.execute(query("cycles", "lock_tree"), organization_id)


async def lock(conn: Connection, organization_id: int, cycle_id: int) -> CycleRow | None:
    """The cycle, locked for an update."""
    record = await conn.fetchrow(query("cycles", "lock_cycle"), organization_id, cycle_id)
    return None if record is None else _row(record)


async def share(conn: Connection, organization_id: int, cycle_id: int) -> CycleRow | None:
    """The cycle, share-locked: its dates hold until the transaction ends."""
    record = await conn.fetchrow(query("cycles", "share_cycle"), organization_id, cycle_id)
    return None if record is None else _row(record)


async def ancestors(conn: Connection, organization_id: int, cycle_id: int) -> set[int]:
    """The ids of the cycle and of every cycle above it."""
    records = await conn.fetch(query("cycles", "ancestors"), organization_id, cycle_id)
    return {r["id"] for r in records}


async def children(conn: Connection, organization_id: int, cycle_id: int) -> list[ChildCycle]:
    """The cycles directly inside the cycle."""
    records = await conn.fetch(query("cycles", "child_cycles"), organization_id, cycle_id)
    return [ChildCycle(**dict(r)) for r in records]


async def name_taken(
    conn: Connection, organization_id: int, name: str, except_id: int | None = None
) -> bool:
    """Whether a cycle other than ``except_id`` already has the name."""
    taken: bool = await conn.fetchval(
        query("cycles", "name_taken"), organization_id, name, except_id
    )
    return taken


async def insert(
    conn: Connection,
    organization_id: int,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    parent_cycle_id: int | None,
) -> CycleRow:
    """Insert a cycle; raises NameTakenError when the name is taken after all."""
    with unique_name(NAME_KEY, name):
        record = await conn.fetchrow(
            query("cycles", "insert_cycle"),
            organization_id,
            name,
            starts_on,
            ends_on,
            parent_cycle_id,
        )
    return _row(record)


async def update(
    conn: Connection,
    organization_id: int,
    cycle_id: int,
    *,
    name: str,
    starts_on: dt.date,
    ends_on: dt.date,
    parent_cycle_id: int | None,
) -> CycleRow:
    """Write a locked cycle's fields, bump its version; raises NameTakenError like insert."""
    with unique_name(NAME_KEY, name):
        record = await conn.fetchrow(
            query("cycles", "update_cycle"),
            organization_id,
            cycle_id,
            name,
            starts_on,
            ends_on,
            parent_cycle_id,
        )
    return _row(record)
