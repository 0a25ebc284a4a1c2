"""The objective lifecycle, the close and cycle-close rules, ownership and the commands."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import product

import pytest

from domain.errors import DomainError, UserErrorCode
from domain.objectives import (
    ACHIEVED_FROM,
    PARTIAL_ABOVE,
    TRANSITIONS,
    CloseObjective,
    CreateObjective,
    LifecycleAction,
    ObjectiveLevel,
    ObjectiveOutcome,
    ObjectiveStatus,
    Owner,
    UpdateObjective,
    final_score,
    moved_cycle_problems,
    outcome_for_score,
    owner_problems,
    transition_allowed,
    transition_problems,
    updated_owner,
)
from domain.validation import parse

D, A, C, X = "DRAFT", "ACTIVE", "CLOSED", "ARCHIVED"

# Every move each operation may make; everything else is refused. Written out by hand so the
# test states the lifecycle independently of the table in domain/objectives.py.
ALLOWED = {
    (LifecycleAction.SET_STATUS, D, A),
    (LifecycleAction.SET_STATUS, D, X),
    (LifecycleAction.SET_STATUS, A, X),
    (LifecycleAction.SET_STATUS, C, X),
    (LifecycleAction.CLOSE, D, C),
    (LifecycleAction.CLOSE, A, C),
    (LifecycleAction.REOPEN, C, A),
    (LifecycleAction.REOPEN, X, A),
}
EVERY_MOVE = sorted(product(LifecycleAction, ObjectiveStatus, ObjectiveStatus))
FIELD = ("input", "status")


# --- transitions --------------------------------------------------------------------------


@pytest.mark.parametrize(("action", "current", "target"), sorted(ALLOWED))
def test_allowed_transition(action: LifecycleAction, current: str, target: str) -> None:
    assert transition_allowed(action, current, target)
    assert transition_problems(action, current, target, FIELD) == []


@pytest.mark.parametrize(
    ("action", "current", "target"),
    [(a, c.value, t.value) for a, c, t in EVERY_MOVE if (a, c.value, t.value) not in ALLOWED],
)
def test_refused_transition(action: LifecycleAction, current: str, target: str) -> None:
    assert not transition_allowed(action, current, target)
    [problem] = transition_problems(action, current, target, FIELD)
    assert problem.code is UserErrorCode.INVALID_TRANSITION
    assert problem.field == FIELD
    assert problem.message


def test_the_table_is_exactly_the_lifecycle() -> None:
    table = {(a, c.value, t.value) for a, moves in TRANSITIONS.items() for c, t in moves}
    assert table == ALLOWED


def test_every_status_can_be_archived_except_archived() -> None:
    # Any -> ARCHIVED (docs/domain-rules.md, "Objectives"); leaving ARCHIVED, or staying, is
    # for reopenObjective.
    archivable = {
        s for s in ObjectiveStatus if transition_allowed(LifecycleAction.SET_STATUS, s, X)
    }
    assert archivable == {ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE, ObjectiveStatus.CLOSED}


@pytest.mark.parametrize(
    ("current", "target", "hint"),
    [
        (A, C, "closeObjective"),
        (X, A, "reopenObjective"),
        (C, A, "reopen"),
        (A, A, "already"),
    ],
)
def test_refusals_say_what_to_do_instead(current: str, target: str, hint: str) -> None:
    [problem] = transition_problems(LifecycleAction.SET_STATUS, current, target, FIELD)
    assert hint in problem.message


# --- closing ------------------------------------------------------------------------------


def test_final_score_is_the_progress_unless_overridden() -> None:
    assert final_score(Decimal("0.42"), None) == Decimal("0.42")
    assert final_score(Decimal("0.42"), Decimal("0.9")) == Decimal("0.9")
    assert final_score(Decimal("0.42"), Decimal(0)) == Decimal(0)


def test_nothing_measured_closes_at_zero() -> None:
    assert final_score(None, None) == Decimal(0)


@pytest.mark.parametrize(
    ("score", "outcome"),
    [
        ("1", ObjectiveOutcome.ACHIEVED),
        ("0.7", ObjectiveOutcome.ACHIEVED),
        ("0.699999", ObjectiveOutcome.PARTIAL),
        ("0.5", ObjectiveOutcome.PARTIAL),
        ("0.300001", ObjectiveOutcome.PARTIAL),
        ("0.3", ObjectiveOutcome.MISSED),
        ("0.1", ObjectiveOutcome.MISSED),
        ("0", ObjectiveOutcome.MISSED),
    ],
)
def test_outcome_of_a_cycle_close(score: str, outcome: ObjectiveOutcome) -> None:
    assert outcome_for_score(Decimal(score)) is outcome


def test_seventy_percent_is_a_good_result() -> None:
    # The seed guides: 70% of an ambitious objective is a good result.
    assert Decimal("0.7") == ACHIEVED_FROM
    assert Decimal("0.3") == PARTIAL_ABOVE


def test_a_derived_outcome_is_never_cancelled() -> None:
    scores = [Decimal(n) / 100 for n in range(101)]
    assert ObjectiveOutcome.CANCELLED not in {outcome_for_score(s) for s in scores}


# --- ownership ----------------------------------------------------------------------------

TEAM_FIELD = ("input", "ownerTeamId")
USER_FIELD = ("input", "ownerUserId")


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        (Owner(ObjectiveLevel.COMPANY, None, None), set()),
        (Owner(ObjectiveLevel.TEAM, 1, None), set()),
        (Owner(ObjectiveLevel.PERSON, None, 2), set()),
        (Owner(ObjectiveLevel.COMPANY, 1, None), {(TEAM_FIELD, UserErrorCode.INVALID)}),
        (Owner(ObjectiveLevel.COMPANY, None, 2), {(USER_FIELD, UserErrorCode.INVALID)}),
        (Owner(ObjectiveLevel.TEAM, None, None), {(TEAM_FIELD, UserErrorCode.REQUIRED)}),
        (
            Owner(ObjectiveLevel.TEAM, None, 2),
            {(TEAM_FIELD, UserErrorCode.REQUIRED), (USER_FIELD, UserErrorCode.INVALID)},
        ),
        (Owner(ObjectiveLevel.TEAM, 1, 2), {(USER_FIELD, UserErrorCode.INVALID)}),
        (Owner(ObjectiveLevel.PERSON, None, None), {(USER_FIELD, UserErrorCode.REQUIRED)}),
        (Owner(ObjectiveLevel.PERSON, 1, 2), {(TEAM_FIELD, UserErrorCode.INVALID)}),
    ],
)
def test_owner_fits_the_level(owner: Owner, expected: set[tuple[tuple[str, ...], str]]) -> None:
    assert {(p.field, p.code) for p in owner_problems(owner)} == expected


PERSON = Owner(ObjectiveLevel.PERSON, None, 7)
TEAM = Owner(ObjectiveLevel.TEAM, 3, None)


@pytest.mark.parametrize(
    ("current", "changes", "expected"),
    [
        # a new level clears the owner that no longer fits
        (PERSON, {"level": ObjectiveLevel.COMPANY}, Owner(ObjectiveLevel.COMPANY, None, None)),
        (TEAM, {"level": ObjectiveLevel.COMPANY}, Owner(ObjectiveLevel.COMPANY, None, None)),
        # and takes the one given with it
        (
            PERSON,
            {"level": ObjectiveLevel.TEAM, "owner_team_id": 4},
            Owner(ObjectiveLevel.TEAM, 4, None),
        ),
        # a resent, unchanged level keeps the owner
        (PERSON, {"level": ObjectiveLevel.PERSON}, PERSON),
        # an owner alone replaces the owner of the current level
        (PERSON, {"owner_user_id": 8}, Owner(ObjectiveLevel.PERSON, None, 8)),
        (TEAM, {"owner_team_id": 5}, Owner(ObjectiveLevel.TEAM, 5, None)),
        # an owner that does not fit is kept as given, for owner_problems to refuse
        (PERSON, {"owner_team_id": 5}, Owner(ObjectiveLevel.PERSON, 5, 7)),
        # an explicit null is a change like any other
        (PERSON, {"owner_user_id": None}, Owner(ObjectiveLevel.PERSON, None, None)),
        # nothing about the owner changes nothing
        (TEAM, {"title": "x"}, TEAM),
    ],
)
def test_updated_owner(current: Owner, changes: dict[str, object], expected: Owner) -> None:
    assert updated_owner(current, changes) == expected


# --- moving between cycles ----------------------------------------------------------------

Q4 = (date(2026, 10, 1), date(2026, 12, 31))
YEAR = (date(2026, 1, 1), date(2026, 12, 31))
Q1_NEXT = (date(2027, 1, 1), date(2027, 3, 31))


def test_a_move_keeps_aligned_cycles_overlapping() -> None:
    assert moved_cycle_problems(Q4, [YEAR]) == []
    assert moved_cycle_problems(Q1_NEXT, []) == []
    # ends_on is inclusive: sharing the last day is overlapping
    assert moved_cycle_problems((date(2026, 12, 31), date(2027, 1, 31)), [Q4]) == []
    [problem] = moved_cycle_problems(Q1_NEXT, [YEAR, Q4])
    assert problem.code is UserErrorCode.ALIGNMENT_CYCLES_DISJOINT
    assert problem.field == ("input", "cycleId")


# --- commands -----------------------------------------------------------------------------


def _codes(error: DomainError) -> set[tuple[tuple[str, ...], UserErrorCode]]:
    return {(p.field, p.code) for p in error.problems}


def test_a_new_objective_is_active_and_scored_by_its_key_results() -> None:
    command = parse(CreateObjective, {"title": "  Grow  ", "cycleId": 1, "level": "COMPANY"})
    assert command.title == "Grow"
    assert command.status is ObjectiveStatus.ACTIVE
    assert command.progress_source == "KEY_RESULTS"


@pytest.mark.parametrize("status", ["CLOSED", "ARCHIVED"])
def test_a_new_objective_starts_as_draft_or_active(status: str) -> None:
    data = {"title": "Grow", "cycleId": 1, "level": "COMPANY", "status": status}
    with pytest.raises(DomainError) as raised:
        parse(CreateObjective, data)
    assert _codes(raised.value) == {(("input", "status"), UserErrorCode.INVALID_TRANSITION)}


@pytest.mark.parametrize(
    ("title", "code"),
    [("", UserErrorCode.REQUIRED), ("  \t ", UserErrorCode.REQUIRED), ("x" * 10_000, "TOO_LONG")],
)
def test_titles_are_non_blank_and_bounded(title: str, code: str) -> None:
    with pytest.raises(DomainError) as raised:
        parse(CreateObjective, {"title": title, "cycleId": 1, "level": "COMPANY"})
    assert _codes(raised.value) == {(("input", "title"), code)}


def test_an_update_knows_which_fields_were_given() -> None:
    command = parse(UpdateObjective, {"id": 1, "description": None, "version": 3})
    assert command.changes() == {"description": None}
    assert parse(UpdateObjective, {"id": 1}).changes() == {}


@pytest.mark.parametrize(
    ("score", "ok"), [("0", True), ("1", True), ("-0.01", False), ("1.5", False)]
)
def test_a_final_score_override_is_within_zero_and_one(score: str, ok: bool) -> None:
    data = {"id": 1, "outcome": "PARTIAL", "finalScore": score}
    if ok:
        assert parse(CloseObjective, data).final_score == Decimal(score)
        return
    with pytest.raises(DomainError) as raised:
        parse(CloseObjective, data)
    assert _codes(raised.value) == {(("input", "finalScore"), UserErrorCode.OUT_OF_RANGE)}
