"""Alignment: a child objective supports a parent objective (optionally one of its key results).

Alignments form a DAG inside one organisation (several parents allowed): no objective supports
itself, no chain of alignments leads back to where it started, and a parent's cycle overlaps
its child's. `closes_cycle` is the rule on an edge list; the service runs the same test as a
recursive query under a per-organisation lock (db/sql/alignments.sql), so two concurrent
alignments can never close a loop between them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from domain.errors import Problem, UserErrorCode
from domain.key_results import BoundedWeight, read_only_problems
from domain.validation import Command

Edge = tuple[int, int]
"""(child objective id, parent objective id): the child supports the parent."""


def closes_cycle(edges: Iterable[Edge], child: int, parent: int) -> bool:
    """Return whether adding ``child -> parent`` to an acyclic ``edges`` would close a loop.

    It does when the child is the parent itself or already among the parent's ancestors: the
    parent supports, through some chain, the child that is about to support it.
    """
    if child == parent:
        return True
    parents: dict[int, list[int]] = {}
    for edge_child, edge_parent in edges:
        parents.setdefault(edge_child, []).append(edge_parent)
    seen = {parent}
    queue = deque([parent])
    while queue:
        for above in parents.get(queue.popleft(), ()):
            if above == child:
                return True
            if above not in seen:
                seen.add(above)
                queue.append(above)
    return False


def has_cycle(edges: Iterable[Edge]) -> bool:
    """Return whether ``edges`` contain a loop (Kahn's algorithm: a DAG peels down to nothing).

    An independent check of the whole graph, for tests and audits of stored alignments.
    """
    edge_set = set(edges)
    nodes = {n for edge in edge_set for n in edge}
    incoming = dict.fromkeys(nodes, 0)
    outgoing: dict[int, list[int]] = {}
    for child, parent in edge_set:
        incoming[parent] += 1
        outgoing.setdefault(child, []).append(parent)
    ready = deque(n for n, count in incoming.items() if count == 0)
    peeled = 0
    while ready:
        node = ready.popleft()
        peeled += 1
        for parent in outgoing.get(node, ()):
            incoming[parent] -= 1
            if incoming[parent] == 0:
                ready.append(parent)
    return peeled < len(nodes)


def cycles_overlap(
    child_starts_on: date, child_ends_on: date, parent_starts_on: date, parent_ends_on: date
) -> bool:
    """Return whether two cycles share at least one day (end dates are inclusive)."""
    return child_starts_on <= parent_ends_on and parent_starts_on <= child_ends_on


@dataclass(frozen=True, slots=True)
class AlignmentEnd:
    """One objective of an alignment, with what the alignment rules need about it."""

    id: int
    status: str
    cycle_starts_on: date
    cycle_ends_on: date


class AlignObjective(Command):
    """A new alignment, its global ids already resolved to keys."""

    child_objective_id: int
    parent_objective_id: int
    parent_key_result_id: int | None = None
    weight: BoundedWeight = Decimal(1)


class RemoveAlignment(Command):
    """The alignment between two objectives to remove."""

    child_objective_id: int
    parent_objective_id: int


def self_alignment_problems(child_id: int, parent_id: int) -> list[Problem]:
    """An objective cannot support itself."""
    if child_id != parent_id:
        return []
    return [
        Problem(
            UserErrorCode.ALIGNMENT_SELF,
            ("input", "parentObjectiveId"),
            "An objective cannot be aligned under itself.",
        )
    ]


def cycle_problems(closes: bool) -> list[Problem]:
    """The verdict of the cycle check (`closes_cycle`, or its SQL twin) as a problem."""
    if not closes:
        return []
    return [
        Problem(
            UserErrorCode.ALIGNMENT_CYCLE,
            ("input", "parentObjectiveId"),
            "The parent already supports the child through other alignments; this would close"
            " a loop.",
        )
    ]


def existing_problems(exists: bool) -> list[Problem]:
    """One alignment per pair: change it by removing it and aligning again."""
    if not exists:
        return []
    return [
        Problem(
            UserErrorCode.ALIGNMENT_EXISTS,
            ("input", "parentObjectiveId"),
            "The child is already aligned under this parent.",
        )
    ]


def open_ends_problems(child: AlignmentEnd, parent: AlignmentEnd) -> list[Problem]:
    """Aligning or removing an alignment changes both ends (the child's parents, the parent's
    children and perhaps its progress), so a closed or archived objective at either end
    refuses it until reopened."""
    return [
        *read_only_problems(child.status, ("input", "childObjectiveId")),
        *read_only_problems(parent.status, ("input", "parentObjectiveId")),
    ]


def alignment_problems(child: AlignmentEnd, parent: AlignmentEnd) -> list[Problem]:
    """The rules on the two objectives of a new alignment: both open to change, and cycles
    that overlap (a Q1 objective cannot support a Q3 one)."""
    problems = open_ends_problems(child, parent)
    if not cycles_overlap(
        child.cycle_starts_on, child.cycle_ends_on, parent.cycle_starts_on, parent.cycle_ends_on
    ):
        problems.append(
            Problem(
                UserErrorCode.ALIGNMENT_CYCLES_DISJOINT,
                ("input", "parentObjectiveId"),
                "The parent's cycle does not overlap the child's.",
            )
        )
    return problems


def parent_key_result_problems(
    key_result_objective_id: int | None, parent_id: int
) -> list[Problem]:
    """A supported key result must exist and belong to the parent objective."""
    if key_result_objective_id is None:
        return [
            Problem(UserErrorCode.NOT_FOUND, ("input", "parentKeyResultId"), "No such key result.")
        ]
    if key_result_objective_id != parent_id:
        return [
            Problem(
                UserErrorCode.INVALID,
                ("input", "parentKeyResultId"),
                "The key result belongs to another objective than the parent.",
            )
        ]
    return []
