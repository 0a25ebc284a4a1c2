"""Queries behind the derived progress columns of key results and objectives.

The columns (key_result.current_value/done/last_check_in_id/last_measured_at, objective.progress)
are recomputed from their source rows under row locks, inside the caller's transaction; the
rules that turn inputs into progress live in domain/, the walk over the alignment DAG in
services/progress.py. Lock order: key results before objectives, each in id order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from db.queries import query

# A bare connection or one borrowed from the pool: the functions here only run statements.
Connection: TypeAlias = "asyncpg.Connection[Any] | PoolConnectionProxy[Any]"


@dataclass(frozen=True, slots=True)
class KeyResultInput:
    """What a key result contributes to its objective's progress (numbers as exact text)."""

    objective_id: int
    kind: str
    start_value: str | None
    target_value: str | None
    current_value: str | None
    threshold_direction: str | None
    done: bool
    weight: str


@dataclass(frozen=True, slots=True)
class ChildInput:
    """An aligned child of an objective: its stored progress and the alignment's weight
    (as exact text)."""

    parent_objective_id: int
    child_objective_id: int
    progress: str | None
    weight: str


@dataclass(frozen=True, slots=True)
class ScoringInputs:
    """Everything objective_progress needs for one objective."""

    objective_id: int
    progress_source: str
    key_results: tuple[KeyResultInput, ...]
    children: tuple[ChildInput, ...]
    # The progress stored now (read under the objective's lock, so current).
    stored_progress: str | None


@dataclass(frozen=True, slots=True)
class LockedObjective:
    """An objective locked for recomputation and what drives its progress."""

    id: int
    progress_source: str


@dataclass(frozen=True, slots=True)
class ParentLink:
    """One alignment edge: the child supports the parent."""

    child_objective_id: int
    parent_objective_id: int
    # What drives the parent, when the statement that read the edge also locked the parent
    # (so the value is as committed); None otherwise.
    parent_source: str | None = None


async def refresh_key_results(
    conn: Connection, organization_id: int, key_result_ids: Sequence[int]
) -> None:
    """Lock the key results (id order), then copy each one's latest check-in into its
    denormalised columns. Two statements on purpose: see lock_key_results in progress.sql."""
    if not key_result_ids:
        return
    ids = sorted(set(key_result_ids))
    await conn.execute(query("progress", "lock_key_results"), organization_id, ids)
    await conn.execute(query("progress", "refresh_key_results"), organization_id, ids)


async def lock_organization_key_results(conn: Connection, organization_id: int) -> list[int]:
    """Lock every key result of the organisation in id order; returns their ids."""
    rows = await conn.fetch(query("progress", "lock_organization_key_results"), organization_id)
    return [row["id"] for row in rows]


async def lock_objectives(
    conn: Connection, organization_id: int, objective_ids: Sequence[int]
) -> list[LockedObjective]:
    """Lock the given objectives in id order; returns those that exist in the organisation,
    with their progress source as committed when the lock was granted."""
    if not objective_ids:
        return []
    rows = await conn.fetch(
        query("progress", "lock_objectives"), organization_id, sorted(set(objective_ids))
    )
    return [LockedObjective(id=r["id"], progress_source=r["progress_source"]) for r in rows]


async def lock_organization_objectives(
    conn: Connection, organization_id: int
) -> list[LockedObjective]:
    """Lock every objective of the organisation in id order."""
    rows = await conn.fetch(query("progress", "lock_organization_objectives"), organization_id)
    return [LockedObjective(id=r["id"], progress_source=r["progress_source"]) for r in rows]


async def load_scoring_inputs(
    conn: Connection, organization_id: int, objective_ids: Sequence[int]
) -> tuple[list[ScoringInputs], list[ParentLink]]:
    """The progress source, key results and aligned children of each given objective, and the
    alignment edges up to the objectives they support: one statement."""
    if not objective_ids:
        return [], []
    rows = await conn.fetch(
        query("progress", "scoring_inputs"), organization_id, list(objective_ids)
    )
    return scoring_from_rows(rows)


def scoring_from_rows(
    rows: Sequence[asyncpg.Record],
) -> tuple[list[ScoringInputs], list[ParentLink]]:
    """Scoring inputs from rows shaped as scoring_inputs' (rows of other parts are skipped)."""
    sources: dict[int, tuple[str, str | None]] = {}
    key_results: dict[int, list[KeyResultInput]] = {}
    children: dict[int, list[ChildInput]] = {}
    parents: list[ParentLink] = []
    for r in rows:
        part, objective_id = r["part"], r["objective_id"]
        if part == "objective":
            sources[objective_id] = (r["source"], r["progress"])
        elif part == "key_result":
            key_results.setdefault(objective_id, []).append(
                KeyResultInput(
                    objective_id=objective_id,
                    kind=r["kind"],
                    start_value=r["start_value"],
                    target_value=r["target_value"],
                    current_value=r["current_value"],
                    threshold_direction=r["threshold_direction"],
                    done=r["done"],
                    weight=r["weight"],
                )
            )
        elif part == "child":
            children.setdefault(objective_id, []).append(
                ChildInput(
                    parent_objective_id=objective_id,
                    child_objective_id=r["other_id"],
                    progress=r["progress"],
                    weight=r["weight"],
                )
            )
        elif part == "parent":
            parents.append(
                ParentLink(
                    child_objective_id=objective_id,
                    parent_objective_id=r["other_id"],
                    parent_source=r["source"],
                )
            )
    inputs = [
        ScoringInputs(
            objective_id=objective_id,
            progress_source=source,
            key_results=tuple(key_results.get(objective_id, ())),
            children=tuple(children.get(objective_id, ())),
            stored_progress=stored,
        )
        for objective_id, (source, stored) in sorted(sources.items())
    ]
    return inputs, parents


async def find_parents(
    conn: Connection, organization_id: int, objective_ids: Sequence[int]
) -> list[ParentLink]:
    """The alignment edges from the given objectives up to their parents."""
    if not objective_ids:
        return []
    rows = await conn.fetch(query("progress", "parents"), organization_id, list(objective_ids))
    return [
        ParentLink(
            child_objective_id=r["child_objective_id"],
            parent_objective_id=r["parent_objective_id"],
        )
        for r in rows
    ]


async def write_progress(
    conn: Connection,
    organization_id: int,
    progress: Sequence[tuple[int, str | None]],
    *,
    announce: bool = False,
) -> list[int]:
    """Store `(objective id, progress as exact text or None)` pairs in one statement.

    Returns the ids whose stored progress changed (a caller may announce those).
    """
    if not progress:
        return []
    ids = [objective_id for objective_id, _ in progress]
    values = [value for _, value in progress]
    name = "write_progress_announced" if announce else "write_progress"
    rows = await conn.fetch(query("progress", name), organization_id, ids, values)
    return [row["id"] for row in rows]


@dataclass(frozen=True, slots=True)
class DueInputs:
    """What the cadence rule needs to date a key result's next check-in."""

    id: int
    cadence: str
    last_measured_at: datetime | None
    created_at: datetime


async def load_due_inputs(
    conn: Connection, organization_id: int, key_result_ids: Sequence[int]
) -> list[DueInputs]:
    rows = await conn.fetch(query("progress", "due_inputs"), organization_id, list(key_result_ids))
    return [DueInputs(**dict(row)) for row in rows]


async def write_next_check_in_due(
    conn: Connection, organization_id: int, dues: Sequence[tuple[int, datetime]]
) -> None:
    await conn.execute(
        query("progress", "write_next_check_in_due"),
        organization_id,
        [key_result_id for key_result_id, _ in dues],
        [due for _, due in dues],
    )
