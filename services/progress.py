"""Keeping the derived progress columns right after a write (docs/domain-rules.md, "Objectives").

A read never recurses over the alignment DAG: the latest check-in of each key result and the
progress of each objective are stored, recomputed from their source rows (never incremented)
under row locks, inside the writing transaction. Writers call `refresh_key_results` for the key
results whose check-ins changed, then `refresh_objectives` for the objectives whose key results,
alignments or progress source changed; `recompute_all` rebuilds everything and is the oracle
the incremental path is tested against.

Lock order, which every writer must follow to stay deadlock-free: key results, then objectives,
each in id order; objectives are locked up the DAG, children before parents. A writer that
changes an alignment or a progress source locks the objectives it changes before it writes, so
the walk below (which reads alignments only from objectives it holds) never misses one.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal

from db import progress as db
from db.progress import Connection, ParentLink, ScoringInputs
from domain.check_ins import next_check_in_due
from domain.key_results import progress as key_result_progress
from domain.key_results import score
from domain.objectives import ProgressSource, objective_progress

# Parents whose progress depends on their aligned children; only those are walked up to.
_DRIVEN_BY_CHILDREN = frozenset({ProgressSource.CHILDREN.value, ProgressSource.BOTH.value})

# The visited set already bounds the walk by the organisation's objective count; this catches
# a runaway chain (a broken invariant) with a clear error instead of a very long transaction.
MAX_ALIGNMENT_DEPTH = 100


async def refresh_key_results(
    conn: Connection, organization_id: int, key_result_ids: Sequence[int]
) -> None:
    """Recompute the latest-check-in columns of the given key results."""
    await db.refresh_key_results(conn, organization_id, key_result_ids)
    await _refresh_due(conn, organization_id, key_result_ids)


async def _refresh_due(
    conn: Connection, organization_id: int, key_result_ids: Sequence[int]
) -> None:
    """Store when each key result's next check-in is due, so "overdue" is an indexed filter."""
    inputs = await db.load_due_inputs(conn, organization_id, key_result_ids)
    await db.write_next_check_in_due(
        conn,
        organization_id,
        [(i.id, next_check_in_due(i.cadence, i.last_measured_at, i.created_at)) for i in inputs],
    )


async def refresh_objectives(
    conn: Connection,
    organization_id: int,
    objective_ids: Sequence[int],
    *,
    locked_sources: Mapping[int, str] | None = None,
    loaded: tuple[Sequence[ScoringInputs], Sequence[ParentLink]] | None = None,
) -> None:
    """Recompute the progress of the given objectives and of every ancestor driven by them.

    Ancestors are found level by level, each level locked before its inputs and alignments are
    read (one statement per level); then everything is computed in memory children first, so
    an objective reached by two paths of different lengths (A -> P -> G and A -> G) is computed
    once, after all of its children, and what changed is written in one statement. A caller that
    already locked the objectives passes what drives each as `locked_sources`, and one that
    read their scoring inputs after locking them (load_scoring_inputs' answer) as `loaded`.
    """
    if locked_sources is None:
        locked = await db.lock_objectives(conn, organization_id, objective_ids)
        sources = {o.id: o.progress_source for o in locked}
    else:
        sources = dict(locked_sources)
    targets = set(sources)
    inputs: dict[int, ScoringInputs] = {}
    edges: set[tuple[int, int]] = set()
    level = sorted(targets)
    depth = 0
    while level:
        if loaded is not None:
            level_inputs, links = loaded
            loaded = None
        else:
            level_inputs, links = await db.load_scoring_inputs(conn, organization_id, level)
        inputs.update((i.objective_id, i) for i in level_inputs)
        new_parents = sorted({link.parent_objective_id for link in links} - sources.keys())
        if new_parents:
            depth += 1
            if depth > MAX_ALIGNMENT_DEPTH:
                raise RuntimeError(f"alignment chain deeper than {MAX_ALIGNMENT_DEPTH} levels")
            # Sources are taken from the lock, not from the alignment read: a parent's source
            # changed by a transaction we waited for is seen as committed. (A caller's `loaded`
            # may have locked the parents already, and says so with their sources.)
            locked_by_read = {
                link.parent_objective_id: link.parent_source
                for link in links
                if link.parent_source is not None
            }
            if locked_by_read.keys() >= set(new_parents):
                sources.update((p, locked_by_read[p]) for p in new_parents)
            else:
                for parent in await db.lock_objectives(conn, organization_id, new_parents):
                    sources[parent.id] = parent.progress_source
        edges.update(
            (link.child_objective_id, link.parent_objective_id)
            for link in links
            if sources.get(link.parent_objective_id) in _DRIVEN_BY_CHILDREN
        )
        level = [p for p in new_parents if sources.get(p) in _DRIVEN_BY_CHILDREN]
        targets.update(level)
    await _store(conn, organization_id, targets, edges, inputs, announce=True)


async def recompute_all(conn: Connection, organization_id: int) -> None:
    """Recompute every derived progress column of the organisation from the source rows."""
    key_result_ids = await db.lock_organization_key_results(conn, organization_id)
    await db.refresh_key_results(conn, organization_id, key_result_ids)
    await _refresh_due(conn, organization_id, key_result_ids)
    locked = await db.lock_organization_objectives(conn, organization_id)
    sources = {o.id: o.progress_source for o in locked}
    loaded, links = await db.load_scoring_inputs(conn, organization_id, list(sources))
    edges = {
        (link.child_objective_id, link.parent_objective_id)
        for link in links
        if sources.get(link.parent_objective_id) in _DRIVEN_BY_CHILDREN
    }
    await _store(conn, organization_id, sources.keys(), edges, {i.objective_id: i for i in loaded})


async def _store(
    conn: Connection,
    organization_id: int,
    objective_ids: Collection[int],
    edges: Iterable[tuple[int, int]],
    inputs: Mapping[int, ScoringInputs],
    *,
    announce: bool = False,
) -> None:
    """Compute the progress of locked objectives leaves first, and store it in one statement
    (announcing each change as an event when the recomputation follows someone's change).

    `edges` are (child, parent) pairs where the parent's progress depends on the child; a
    parent is computed after its children and reads their progress as just computed (exactly
    what it would read back once stored), so nothing is read twice.
    """
    pending = set(objective_ids)
    children: dict[int, set[int]] = {}
    for child, parent in edges:
        if child in pending and parent in pending:
            children.setdefault(parent, set()).add(child)
    computed: dict[int, str | None] = {}
    while pending:
        wave = sorted(o for o in pending if not children.get(o, set()) & pending)
        if not wave:
            raise RuntimeError(f"alignment cycle among objectives {sorted(pending)}")
        for objective_id in wave:
            if objective_id in inputs:
                computed[objective_id] = _stored_progress(inputs[objective_id], computed)
        pending.difference_update(wave)
    # Only what changes is written: a value pushed again, a back-dated check-in or an edit of a
    # title leaves progress as it is, and then no statement is sent at all.
    changed = [
        (objective_id, value)
        for objective_id, value in sorted(computed.items())
        if _changes(value, inputs[objective_id].stored_progress)
    ]
    await db.write_progress(conn, organization_id, changed, announce=announce)


def _stored_progress(inputs: ScoringInputs, computed: Mapping[int, str | None]) -> str | None:
    key_results = [
        (
            score(
                key_result_progress(
                    kr.kind,
                    kr.start_value,
                    kr.target_value,
                    kr.current_value,
                    kr.threshold_direction,
                    kr.done,
                )
            ),
            kr.weight,
        )
        for kr in inputs.key_results
    ]
    # A child computed in this walk counts with its new progress, as stored once written.
    children = [(computed.get(c.child_objective_id, c.progress), c.weight) for c in inputs.children]
    value = objective_progress(inputs.progress_source, key_results, children)
    # At the rules' precision (PROGRESS_PLACES), written without trailing zeros, so events
    # and reads show 0.5 rather than 0.500000.
    return None if value is None else format(value.normalize(), "f")


def _changes(computed: str | None, stored: str | None) -> bool:
    # By value: the column may hold an equal number with another scale (written before
    # progress was exact), which is no change worth an event.
    if computed is None or stored is None:
        return computed is not stored
    return Decimal(computed) != Decimal(stored)
