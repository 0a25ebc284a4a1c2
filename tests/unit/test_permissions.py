"""The authorization rules (domain/permissions.py), one caller at a time."""

from __future__ import annotations

import pytest

from domain.permissions import (
    Actor,
    ForbiddenError,
    KeyResultOwnership,
    ObjectiveOwnership,
    may_administer,
    may_align,
    may_change_owner,
    may_check_in,
    may_read_audit,
    may_update_key_result,
    may_write_objective,
    require,
    writes_check_ins,
    writes_objectives,
)

ME, OTHER = 1, 2
MY_TEAM, OTHER_TEAM = 10, 20

ADMIN = Actor(user_id=ME, role="ADMIN")
MEMBER = Actor(user_id=ME, role="MEMBER", member_team_ids=frozenset({MY_TEAM}))
VIEWER = Actor(user_id=ME, role="VIEWER", member_team_ids=frozenset({MY_TEAM}))


def key(*scopes: str, teams: tuple[int, ...] = ()) -> Actor:
    return Actor(api_key_id=7, scopes=frozenset(scopes), key_team_ids=frozenset(teams))


MINE = ObjectiveOwnership(owner_user_id=ME)
THEIRS = ObjectiveOwnership(owner_user_id=OTHER)
MY_TEAMS = ObjectiveOwnership(owner_team_id=MY_TEAM)
OTHER_TEAMS = ObjectiveOwnership(owner_team_id=OTHER_TEAM)
COMPANY = ObjectiveOwnership()
ALL_OWNERSHIPS = (MINE, THEIRS, MY_TEAMS, OTHER_TEAMS, COMPANY)


def kr(owner: int | None, objective: ObjectiveOwnership) -> KeyResultOwnership:
    return KeyResultOwnership(owner, objective)


# --- administration and audit -------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (ADMIN, True),
        (MEMBER, False),
        (VIEWER, False),
        (key("read", "write", "checkins:write"), False),
        # A key never administers, even one whose (impossible) role says ADMIN.
        (Actor(user_id=ME, role="ADMIN", api_key_id=7, scopes=frozenset({"write"})), False),
        (Actor(), False),
    ],
)
def test_only_admins_administer_and_read_the_audit_history(actor: Actor, allowed: bool) -> None:
    assert may_administer(actor) is allowed
    assert may_read_audit(actor) is allowed


# --- objectives ---------------------------------------------------------------------------


@pytest.mark.parametrize("objective", ALL_OWNERSHIPS)
def test_admins_write_every_objective(objective: ObjectiveOwnership) -> None:
    assert may_write_objective(ADMIN, objective)


@pytest.mark.parametrize(
    ("objective", "allowed"),
    [(MINE, True), (MY_TEAMS, True), (THEIRS, False), (OTHER_TEAMS, False), (COMPANY, False)],
)
def test_members_write_their_own_and_their_teams_objectives(
    objective: ObjectiveOwnership, allowed: bool
) -> None:
    assert may_write_objective(MEMBER, objective) is allowed


@pytest.mark.parametrize("objective", ALL_OWNERSHIPS)
def test_viewers_write_no_objective(objective: ObjectiveOwnership) -> None:
    assert not may_write_objective(VIEWER, objective)


@pytest.mark.parametrize("objective", ALL_OWNERSHIPS)
def test_keys_write_objectives_only_with_the_write_scope(objective: ObjectiveOwnership) -> None:
    assert may_write_objective(key("write"), objective)
    assert not may_write_objective(key("read"), objective)
    assert not may_write_objective(key("checkins:write"), objective)


@pytest.mark.parametrize(
    ("objective", "allowed"),
    [(MY_TEAMS, True), (OTHER_TEAMS, False), (COMPANY, False), (MINE, False)],
)
def test_a_key_limited_to_teams_writes_only_their_objectives(
    objective: ObjectiveOwnership, allowed: bool
) -> None:
    assert may_write_objective(key("write", teams=(MY_TEAM,)), objective) is allowed


def test_changing_the_owner_needs_both_the_old_and_the_new_ownership() -> None:
    assert may_change_owner(MEMBER, MINE, MY_TEAMS)
    # a member cannot hand their objective to a team they could not create it for
    assert not may_change_owner(MEMBER, MINE, OTHER_TEAMS)
    # nor take over someone else's
    assert not may_change_owner(MEMBER, THEIRS, MINE)
    assert may_change_owner(ADMIN, THEIRS, COMPANY)


def test_aligning_follows_the_child() -> None:
    assert may_align(MEMBER, MINE)
    assert may_align(MEMBER, MY_TEAMS)
    assert not may_align(MEMBER, THEIRS)
    assert not may_align(VIEWER, MINE)
    assert may_align(key("write"), COMPANY)
    assert not may_align(key("checkins:write"), COMPANY)


# --- key results --------------------------------------------------------------------------


def test_key_results_are_edited_by_their_objectives_writers_and_their_owner() -> None:
    assert may_update_key_result(MEMBER, kr(OTHER, MINE))
    assert may_update_key_result(MEMBER, kr(OTHER, MY_TEAMS))
    # the reporting owner of a key result in someone else's objective
    assert may_update_key_result(MEMBER, kr(ME, THEIRS))
    assert not may_update_key_result(MEMBER, kr(OTHER, THEIRS))
    assert not may_update_key_result(MEMBER, kr(None, COMPANY))
    assert may_update_key_result(ADMIN, kr(OTHER, THEIRS))
    assert not may_update_key_result(VIEWER, kr(ME, MINE))
    assert may_update_key_result(key("write"), kr(OTHER, THEIRS))
    assert not may_update_key_result(key("checkins:write"), kr(OTHER, THEIRS))
    assert not may_update_key_result(key("read"), kr(None, COMPANY))


# --- check-ins ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key_result", "allowed"),
    [
        (kr(ME, THEIRS), True),  # the key result's owner
        (kr(OTHER, MINE), True),  # the objective's owner
        (kr(OTHER, MY_TEAMS), True),  # a member of the objective's team
        (kr(OTHER, THEIRS), False),
        (kr(OTHER, OTHER_TEAMS), False),
        (kr(None, COMPANY), False),
    ],
)
def test_members_check_in_on_what_they_own_or_their_team_owns(
    key_result: KeyResultOwnership, allowed: bool
) -> None:
    assert may_check_in(MEMBER, key_result) is allowed


def test_admins_check_in_anywhere_and_viewers_nowhere() -> None:
    for objective in ALL_OWNERSHIPS:
        assert may_check_in(ADMIN, kr(OTHER, objective))
        assert not may_check_in(VIEWER, kr(ME, objective))


def test_keys_check_in_with_write_or_checkins_write_within_their_teams() -> None:
    anywhere = kr(OTHER, COMPANY)
    assert may_check_in(key("checkins:write"), anywhere)
    assert may_check_in(key("write"), anywhere)
    assert not may_check_in(key("read"), anywhere)
    limited = key("checkins:write", teams=(MY_TEAM,))
    assert may_check_in(limited, kr(None, MY_TEAMS))
    assert not may_check_in(limited, kr(None, OTHER_TEAMS))
    assert not may_check_in(limited, anywhere)


# --- refusing outright, and require -------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "objectives", "check_ins"),
    [
        (ADMIN, True, True),
        (MEMBER, True, True),
        (VIEWER, False, False),
        (key("read"), False, False),
        (key("checkins:write"), False, True),
        (key("write"), True, True),
        (Actor(user_id=ME, role=None), False, False),
    ],
)
def test_who_may_write_anything_at_all(actor: Actor, objectives: bool, check_ins: bool) -> None:
    assert writes_objectives(actor) is objectives
    assert writes_check_ins(actor) is check_ins


def test_require_raises_forbidden_with_the_message() -> None:
    require(True, "fine")
    with pytest.raises(ForbiddenError, match="not yours"):
        require(False, "not yours")
