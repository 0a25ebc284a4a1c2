"""The alignment DAG rules (docs/domain-rules.md, "Alignments"), as pure functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.alignments import (
    AlignmentEnd,
    AlignObjective,
    alignment_problems,
    closes_cycle,
    cycles_overlap,
    has_cycle,
    open_ends_problems,
    parent_key_result_problems,
    self_alignment_problems,
)
from domain.errors import DomainError, UserErrorCode
from domain.validation import parse

# --- closes_cycle -----------------------------------------------------------------------

# company <- marketing <- content, company <- sales (child, parent)
CASCADE = [(2, 1), (3, 2), (4, 1)]


def test_an_objective_cannot_support_itself() -> None:
    assert closes_cycle([], 5, 5)


def test_reversing_an_alignment_closes_a_loop() -> None:
    assert closes_cycle(CASCADE, 1, 2)


def test_supporting_a_descendant_closes_a_loop() -> None:
    # the company objective under "content", which already supports it through marketing
    assert closes_cycle(CASCADE, 1, 3)


def test_a_shortcut_to_an_ancestor_is_no_loop() -> None:
    # content supporting the company directly as well: a diamond, still a DAG
    assert not closes_cycle(CASCADE, 3, 1)
    assert not has_cycle([*CASCADE, (3, 1)])


def test_siblings_and_strangers_may_align() -> None:
    assert not closes_cycle(CASCADE, 4, 2)
    assert not closes_cycle(CASCADE, 2, 4)
    assert not closes_cycle(CASCADE, 9, 8)


def test_a_walk_through_a_diamond_terminates() -> None:
    diamond = [(2, 1), (3, 1), (4, 2), (4, 3), (5, 4)]
    assert closes_cycle(diamond, 1, 5)
    assert not closes_cycle(diamond, 5, 1)


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ([], False),
        ([(1, 2)], False),
        ([(1, 2), (2, 1)], True),
        ([(1, 2), (2, 3), (3, 1)], True),
        ([(1, 2), (2, 3), (1, 3)], False),
        ([(1, 1)], True),
    ],
)
def test_has_cycle(edges: list[tuple[int, int]], expected: bool) -> None:
    assert has_cycle(edges) is expected


# --- properties -------------------------------------------------------------------------

pairs = st.lists(st.tuples(st.integers(0, 12), st.integers(0, 12)), max_size=60)


def _grow(candidates: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Add candidate edges in order, each only if the rule lets it in (as the API does)."""
    edges: list[tuple[int, int]] = []
    for child, parent in candidates:
        if (child, parent) not in edges and not closes_cycle(edges, child, parent):
            edges.append((child, parent))
    return edges


@given(pairs)
def test_edges_the_rule_lets_in_never_form_a_cycle(candidates: list[tuple[int, int]]) -> None:
    edges: list[tuple[int, int]] = []
    for child, parent in candidates:
        if not closes_cycle(edges, child, parent):
            edges.append((child, parent))
            assert not has_cycle(edges)


@given(pairs, st.integers(0, 12), st.integers(0, 12))
def test_the_rule_refuses_exactly_the_edges_that_would_close_a_loop(
    candidates: list[tuple[int, int]], child: int, parent: int
) -> None:
    edges = _grow(candidates)
    assert closes_cycle(edges, child, parent) == has_cycle([*edges, (child, parent)])


@given(pairs)
def test_every_stored_edge_reversed_closes_a_loop(candidates: list[tuple[int, int]]) -> None:
    edges = _grow(candidates)
    for child, parent in edges:
        assert closes_cycle(edges, parent, child)


@given(pairs, st.permutations(list(range(13))))
def test_the_verdict_does_not_depend_on_edge_order_or_names(
    candidates: list[tuple[int, int]], renaming: list[int]
) -> None:
    edges = _grow(candidates)
    renamed = [(renaming[c], renaming[p]) for c, p in reversed(edges)]
    for child in range(13):
        for parent in range(0, 13, 3):
            assert closes_cycle(edges, child, parent) == closes_cycle(
                renamed, renaming[child], renaming[parent]
            )


# --- cycles overlap ---------------------------------------------------------------------

Q4 = (date(2026, 10, 1), date(2026, 12, 31))


@pytest.mark.parametrize(
    ("parent", "overlaps"),
    [
        ((date(2026, 1, 1), date(2026, 12, 31)), True),  # the year holding the quarter
        ((date(2026, 11, 1), date(2026, 11, 30)), True),  # a month inside it
        ((date(2026, 12, 31), date(2027, 3, 31)), True),  # sharing the last day (inclusive)
        ((date(2026, 7, 1), date(2026, 10, 1)), True),  # sharing the first day
        ((date(2027, 1, 1), date(2027, 3, 31)), False),  # the next quarter
        ((date(2026, 7, 1), date(2026, 9, 30)), False),  # the previous quarter
    ],
)
def test_cycles_overlap_on_at_least_one_day(parent: tuple[date, date], overlaps: bool) -> None:
    assert cycles_overlap(*Q4, *parent) is overlaps
    assert cycles_overlap(*parent, *Q4) is overlaps


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))


@given(days, days, days, days)
def test_overlap_means_a_shared_day(a: date, b: date, c: date, d: date) -> None:
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    shared = max(a, c) <= min(b, d)
    assert cycles_overlap(a, b, c, d) is shared


# --- problems ---------------------------------------------------------------------------


def _end(objective_id: int, status: str = "ACTIVE", cycle: tuple[date, date] = Q4) -> AlignmentEnd:
    return AlignmentEnd(objective_id, status, *cycle)


def test_self_alignment_is_its_own_code() -> None:
    [problem] = self_alignment_problems(3, 3)
    assert (problem.code, problem.field) == (
        UserErrorCode.ALIGNMENT_SELF,
        ("input", "parentObjectiveId"),
    )
    assert self_alignment_problems(3, 4) == []


def test_closed_and_archived_ends_are_read_only() -> None:
    problems = open_ends_problems(_end(1, "CLOSED"), _end(2, "ARCHIVED"))
    assert [(p.code, p.field) for p in problems] == [
        (UserErrorCode.OBJECTIVE_READ_ONLY, ("input", "childObjectiveId")),
        (UserErrorCode.OBJECTIVE_READ_ONLY, ("input", "parentObjectiveId")),
    ]
    assert open_ends_problems(_end(1, "DRAFT"), _end(2, "ACTIVE")) == []


def test_disjoint_cycles_are_refused() -> None:
    next_quarter = (date(2027, 1, 1), date(2027, 3, 31))
    [problem] = alignment_problems(_end(1), _end(2, cycle=next_quarter))
    assert problem.code == UserErrorCode.ALIGNMENT_CYCLES_DISJOINT
    assert alignment_problems(_end(1), _end(2)) == []


def test_the_supported_key_result_belongs_to_the_parent() -> None:
    assert parent_key_result_problems(7, 7) == []
    [missing] = parent_key_result_problems(None, 7)
    [elsewhere] = parent_key_result_problems(8, 7)
    assert (missing.code, elsewhere.code) == (UserErrorCode.NOT_FOUND, UserErrorCode.INVALID)
    assert missing.field == elsewhere.field == ("input", "parentKeyResultId")


def test_alignment_weight_defaults_to_one_and_is_positive_and_bounded() -> None:
    ids = {"childObjectiveId": 1, "parentObjectiveId": 2}
    assert parse(AlignObjective, ids).weight == Decimal(1)
    for weight, code in [("0", "NOT_POSITIVE"), ("-0.5", "NOT_POSITIVE"),
                         ("1000.5", "OUT_OF_RANGE"), ("NaN", "INVALID_NUMBER")]:  # fmt: skip
        with pytest.raises(DomainError) as error:
            parse(AlignObjective, {**ids, "weight": weight})
        assert [(p.code.value, p.field) for p in error.value.problems] == [
            (code, ("input", "weight"))
        ]
