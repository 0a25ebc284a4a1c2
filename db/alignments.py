"""Alignment writes, serialised per organisation (see lock_alignments in alignments.sql)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import asyncpg

from db.progress import Connection
from db.queries import query

# The first key of the two-int advisory lock that serialises alignment writes: "alig" in ASCII,
# chosen so no other lock of this application uses it (the second key is the organisation).
# Anything that inserts alignment rows must take this lock first (`lock_alignments`), or the
# cycle check can be raced.
ALIGNMENT_LOCK_NAMESPACE = 0x616C6967


class AlignmentExistsError(Exception):
    """The pair is already aligned (the unique constraint, should the lock ever be bypassed)."""


@dataclass(frozen=True, slots=True)
class Conflicts:
    already_aligned: bool
    closes_cycle: bool


@dataclass(frozen=True, slots=True)
class ObjectiveEnd:
    id: int
    status: str
    starts_on: dt.date
    ends_on: dt.date
    # Who owns it (authorization).
    owner_user_id: int | None = None
    owner_team_id: int | None = None


@dataclass(frozen=True, slots=True)
class RemovedAlignment:
    id: int
    parent_key_result_id: int | None
    weight: Decimal


async def lock_alignments(conn: Connection, organization_id: int) -> None:
    """Wait for, and hold until the transaction ends, the organisation's alignment lock.

    Must run inside a READ COMMITTED transaction, so each later statement sees what the
    transactions that held the lock before committed.
    """
    await conn.execute(
        query("alignments", "lock_alignments"), organization_id, ALIGNMENT_LOCK_NAMESPACE
    )


async def conflicts(
    conn: Connection, organization_id: int, child_id: int, parent_id: int
) -> Conflicts:
    row = await conn.fetchrow(
        query("alignments", "alignment_conflicts"), organization_id, child_id, parent_id
    )
    assert row is not None
    return Conflicts(already_aligned=row["already_aligned"], closes_cycle=row["closes_cycle"])


async def lock_ends(
    conn: Connection, organization_id: int, child_id: int, parent_id: int
) -> dict[int, ObjectiveEnd]:
    """Lock the child, then the parent; returns those that exist, by id."""
    ids = [child_id, parent_id]
    await conn.execute(query("alignments", "lock_objectives"), organization_id, ids)
    rows = await conn.fetch(query("alignments", "alignment_ends"), organization_id, ids)
    return {
        r["id"]: ObjectiveEnd(
            id=r["id"],
            status=r["status"],
            starts_on=r["starts_on"],
            ends_on=r["ends_on"],
            owner_user_id=r["owner_user_id"],
            owner_team_id=r["owner_team_id"],
        )
        for r in rows
    }


async def key_result_objective(
    conn: Connection, organization_id: int, key_result_id: int
) -> int | None:
    """The objective of a key result, or None when there is no such key result."""
    objective_id: int | None = await conn.fetchval(
        query("alignments", "key_result_objective"), organization_id, key_result_id
    )
    return objective_id


async def insert(
    conn: Connection,
    organization_id: int,
    *,
    child_id: int,
    parent_id: int,
    parent_key_result_id: int | None,
    weight: Decimal,
    now: dt.datetime,
) -> int:
    try:
        alignment_id: int = await conn.fetchval(
            query("alignments", "insert_alignment"),
            organization_id,
            child_id,
            parent_id,
            parent_key_result_id,
            weight,
            now,
        )
    except asyncpg.UniqueViolationError:
        raise AlignmentExistsError() from None
    return alignment_id


async def delete(
    conn: Connection, organization_id: int, child_id: int, parent_id: int
) -> RemovedAlignment | None:
    row = await conn.fetchrow(
        query("alignments", "delete_alignment"), organization_id, child_id, parent_id
    )
    if row is None:
        return None
    return RemovedAlignment(
        id=row["id"],
        parent_key_result_id=row["parent_key_result_id"],
        weight=Decimal(row["weight"]),
    )


async def edges(conn: Connection, organization_id: int) -> list[tuple[int, int]]:
    """Every (child, parent) alignment of the organisation."""
    rows: Sequence[asyncpg.Record] = await conn.fetch(
        query("alignments", "organization_alignments"), organization_id
    )
    return [(r["child_objective_id"], r["parent_objective_id"]) for r in rows]
