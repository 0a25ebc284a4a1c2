"""The pure rules of writing cycles and teams: commands, date ranges, nesting, updates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cycles import (
    CreateCycle,
    CycleDates,
    UpdateCycle,
    contains_children_problems,
    date_range_problems,
    duplicate_cycle_name,
    parent_cycle_problems,
    within_parent_problems,
)
from domain.errors import DomainError, Problem, UserErrorCode
from domain.hierarchy import becomes_own_ancestor
from domain.teams import CreateTeam, UpdateTeam, parent_team_problems
from domain.updates import stale_version
from domain.validation import parse

YEAR = CycleDates("2026", date(2026, 1, 1), date(2026, 12, 31))
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def _codes(problems: Sequence[Problem]) -> list[tuple[tuple[str, ...], str]]:
    return [(p.field, p.code.value) for p in problems]


# --- commands ---------------------------------------------------------------------------------


def test_a_create_command_trims_its_name_and_reads_camel_case() -> None:
    command = parse(
        CreateCycle,
        {"name": "  Q1 åäö 🎯 ", "startsOn": date(2026, 1, 1), "endsOn": date(2026, 3, 31)},
    )
    assert command.name == "Q1 åäö 🎯"
    assert command.parent_cycle_id is None


@pytest.mark.parametrize(
    ("name", "code"), [("", "REQUIRED"), ("   ", "REQUIRED"), ("x" * 201, "TOO_LONG")]
)
def test_a_bad_name_is_a_coded_problem_on_the_name(name: str, code: str) -> None:
    with pytest.raises(DomainError) as raised:
        parse(CreateCycle, {"name": name, "startsOn": "2026-01-01", "endsOn": "2026-02-01"})
    assert _codes(raised.value.problems) == [(("input", "name"), code)]


def test_a_name_of_200_characters_after_trimming_is_fine() -> None:
    command = parse(CreateTeam, {"name": " " + "ö" * 200 + " "})
    assert len(command.name) == 200


def test_an_update_knows_absent_from_explicit_null() -> None:
    command = parse(UpdateCycle, {"id": 1, "parentCycleId": None, "name": " Q2 "})
    assert command.model_fields_set == {"id", "parent_cycle_id", "name"}
    assert command.name == "Q2"
    assert command.cleared() == []
    assert command.changes() == {"parent_cycle_id": None, "name": "Q2"}


def test_required_fields_cannot_be_cleared() -> None:
    command = parse(UpdateCycle, {"id": 1, "name": None, "endsOn": None, "startsOn": "2026-01-01"})
    assert _codes(command.cleared()) == [
        (("input", "name"), "REQUIRED"),
        (("input", "endsOn"), "REQUIRED"),
    ]


def test_a_team_description_can_be_cleared_but_not_its_name() -> None:
    command = parse(UpdateTeam, {"id": 1, "description": None, "parentTeamId": None})
    assert command.cleared() == []
    blank = parse(UpdateTeam, {"id": 1, "description": "   "})
    assert blank.description is None
    assert "description" in blank.model_fields_set
    nameless = parse(UpdateTeam, {"id": 1, "name": None})
    assert _codes(nameless.cleared()) == [(("input", "name"), "REQUIRED")]


@pytest.mark.parametrize(("given_version", "stale"), [(None, False), (4, False), (3, True)])
def test_a_given_version_must_be_the_current_one(given_version: int | None, stale: bool) -> None:
    problems = stale_version(given_version, 4)
    assert _codes(problems) == ([(("input", "version"), "STALE_VERSION")] if stale else [])


# --- date range ------------------------------------------------------------------------------


def test_a_cycle_starts_before_it_ends() -> None:
    assert date_range_problems(date(2026, 1, 1), date(2026, 1, 2)) == []
    for ends_on in (date(2026, 1, 1), date(2025, 12, 31)):
        assert _codes(date_range_problems(date(2026, 1, 1), ends_on)) == [
            (("input", "endsOn"), UserErrorCode.INVALID_DATE_RANGE.value)
        ]


@given(days, days)
def test_the_date_range_rule_is_exactly_start_before_end(a: date, b: date) -> None:
    assert (date_range_problems(a, b) == []) == (a < b)


# --- nesting -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "fields"),
    [
        (date(2026, 1, 1), date(2026, 12, 31), []),
        (date(2026, 4, 1), date(2026, 6, 30), []),
        (date(2025, 12, 31), date(2026, 3, 31), ["startsOn"]),
        (date(2026, 10, 1), date(2027, 1, 1), ["endsOn"]),
        (date(2025, 1, 1), date(2027, 12, 31), ["startsOn", "endsOn"]),
    ],
)
def test_a_cycle_lies_within_its_parent(starts_on: date, ends_on: date, fields: list[str]) -> None:
    problems = within_parent_problems(starts_on, ends_on, YEAR)
    assert _codes(problems) == [(("input", f), "OUT_OF_RANGE") for f in fields]
    assert all("'2026'" in p.message for p in problems)


def test_a_parent_keeps_holding_its_children_naming_the_one_furthest_out() -> None:
    quarters = [
        CycleDates("Q1", date(2026, 1, 1), date(2026, 3, 31)),
        CycleDates("Q2", date(2026, 4, 1), date(2026, 6, 30)),
        CycleDates("Q4", date(2026, 10, 1), date(2026, 12, 31)),
    ]
    assert contains_children_problems(YEAR.starts_on, YEAR.ends_on, quarters) == []
    assert contains_children_problems(date(2025, 1, 1), date(2027, 1, 1), quarters) == []
    problems = contains_children_problems(date(2026, 5, 1), date(2026, 11, 30), quarters)
    assert _codes(problems) == [
        (("input", "startsOn"), "OUT_OF_RANGE"),
        (("input", "endsOn"), "OUT_OF_RANGE"),
    ]
    assert "'Q1'" in problems[0].message
    assert "'Q4'" in problems[1].message


@given(days, st.integers(0, 400), st.integers(1, 400))
def test_a_child_within_its_parent_is_held_by_it_both_ways(
    start: date, offset: int, length: int
) -> None:
    # The two containment rules agree: a child within its parent is one the parent holds.
    parent = CycleDates("P", start, start + timedelta(days=500))
    child = CycleDates("C", start + timedelta(days=offset), start + timedelta(days=offset + length))
    within = within_parent_problems(child.starts_on, child.ends_on, parent) == []
    held = contains_children_problems(parent.starts_on, parent.ends_on, [child]) == []
    assert within == held == (child.ends_on <= parent.ends_on)


def test_no_node_becomes_its_own_ancestor() -> None:
    # 1 > 2 > 3: moving 1 under 3 (chain 3, 2, 1) or under itself loops; under 4 does not.
    assert becomes_own_ancestor(1, {3, 2, 1})
    assert becomes_own_ancestor(1, {1})
    assert not becomes_own_ancestor(1, {4})
    assert not becomes_own_ancestor(1, set())


def test_loops_are_invalid_on_the_parent_field() -> None:
    assert parent_cycle_problems(1, {2}) == []
    assert _codes(parent_cycle_problems(1, {2, 1})) == [(("input", "parentCycleId"), "INVALID")]
    assert parent_team_problems(5, {6, 7}) == []
    assert _codes(parent_team_problems(5, {5})) == [(("input", "parentTeamId"), "INVALID")]


def test_a_duplicate_name_is_reported_on_the_name() -> None:
    problem = duplicate_cycle_name("2026 Q1")
    assert (problem.field, problem.code) == (("input", "name"), UserErrorCode.DUPLICATE_NAME)
    assert "2026 Q1" in problem.message
