"""Objective levels, lifecycle states, progress aggregation and pace; the lifecycle's
transitions, the close and cycle-close rules, ownership, and the objective commands."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import chain
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator
from pydantic_core import PydanticCustomError

from domain.alignments import cycles_overlap
from domain.errors import Problem, UserErrorCode
from domain.key_results import EXACT, ZERO, DecimalLike, exact, rounded
from domain.updates import Update
from domain.validation import Command, Text, Title, decimal_number


class ObjectiveLevel(StrEnum):
    """Who owns an objective."""

    COMPANY = "COMPANY"
    TEAM = "TEAM"
    PERSON = "PERSON"


class ObjectiveStatus(StrEnum):
    """Where an objective is in its lifecycle."""

    DRAFT = "DRAFT"
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


class ObjectiveOutcome(StrEnum):
    """How a closed objective ended."""

    ACHIEVED = "ACHIEVED"
    PARTIAL = "PARTIAL"
    MISSED = "MISSED"
    CANCELLED = "CANCELLED"


class ProgressSource(StrEnum):
    """What drives an objective's progress."""

    KEY_RESULTS = "KEY_RESULTS"
    CHILDREN = "CHILDREN"
    BOTH = "BOTH"


class PaceStatus(StrEnum):
    """Whether an objective keeps up with the time elapsed in its cycle."""

    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    OFF_TRACK = "OFF_TRACK"


# A score up to 10 points behind the elapsed share of the cycle is normal noise between
# check-ins (a weekly cadence in a quarter is already ~8% of the cycle), so it stays on track.
ON_TRACK_TOLERANCE = 0.1
# Up to a quarter behind is recoverable with attention; further behind needs a new plan.
AT_RISK_TOLERANCE = 0.25
# Score and expected progress are both float quotients; without this slack, 0.7 vs 0.8
# (a gap of 0.10000000000000009) would fall off the on-track boundary it sits on.
_BOUNDARY_SLACK = 1e-9


def weighted_progress(items: Iterable[tuple[DecimalLike, DecimalLike]]) -> Decimal | None:
    """Return the weighted mean of ``(score, weight)`` pairs, weights > 0, exact and rounded
    half-even to PROGRESS_PLACES (the stored objective progress).

    ``None`` when there are no items: nothing measured is not the same as nothing achieved.
    """
    total_weight = ZERO
    total = ZERO
    for item_score, weight in items:
        w = exact(weight)
        total_weight = EXACT.add(total_weight, w)
        total = EXACT.add(total, EXACT.multiply(exact(item_score), w))
    if total_weight <= ZERO:
        return None
    return rounded(EXACT.divide(total, total_weight))


def objective_progress(
    source: str,
    key_results: Iterable[tuple[DecimalLike, DecimalLike]],
    children: Iterable[tuple[DecimalLike | None, DecimalLike]],
) -> Decimal | None:
    """Return an objective's progress from its key results, its aligned children, or both.

    ``key_results`` are ``(score, weight)``; ``children`` are ``(progress, alignment
    weight)``, where a child without progress (no key results of its own) is left out rather
    than counted as 0. With BOTH, the two sets are pooled into one weighted mean, so KR weights
    and alignment weights share one scale. ``None`` when nothing counts.
    """
    if source == ProgressSource.KEY_RESULTS:
        return weighted_progress(key_results)
    measured_children = ((p, w) for p, w in children if p is not None)
    if source == ProgressSource.CHILDREN:
        return weighted_progress(measured_children)
    if source == ProgressSource.BOTH:
        return weighted_progress(chain(key_results, measured_children))
    raise ValueError(f"unknown progress source {source!r}")


def pace_status(score: float | None, expected: float, confidence: str | None) -> PaceStatus | None:
    """Return the pace of an objective or key result against the elapsed share of its cycle.

    The latest check-in's ``confidence`` wins when given: its owner knows more than the
    arithmetic. Otherwise ``None`` without a score; ON_TRACK within ``ON_TRACK_TOLERANCE`` of
    ``expected``, AT_RISK within ``AT_RISK_TOLERANCE``, else OFF_TRACK.
    """
    if confidence is not None:
        return PaceStatus(confidence)
    if score is None:
        return None
    behind = expected - score
    if behind <= ON_TRACK_TOLERANCE + _BOUNDARY_SLACK:
        return PaceStatus.ON_TRACK
    if behind <= AT_RISK_TOLERANCE + _BOUNDARY_SLACK:
        return PaceStatus.AT_RISK
    return PaceStatus.OFF_TRACK


# --- Lifecycle ----------------------------------------------------------------------------
#
# DRAFT -> ACTIVE -> CLOSED; any -> ARCHIVED; CLOSED or ARCHIVED -> ACTIVE only by reopening.
# Each mutation may make only its own moves, so a client cannot close an objective without its
# final score and outcome (setObjectiveStatus), nor sneak an archived one back through it.


class LifecycleAction(StrEnum):
    """The operations that move an objective between statuses."""

    SET_STATUS = "SET_STATUS"  # setObjectiveStatus: activate a draft, archive
    CLOSE = "CLOSE"  # closeObjective, closeCycle: keeps a final score and outcome
    REOPEN = "REOPEN"  # reopenObjective: back to ACTIVE from CLOSED or ARCHIVED


_D, _A, _C, _X = (
    ObjectiveStatus.DRAFT,
    ObjectiveStatus.ACTIVE,
    ObjectiveStatus.CLOSED,
    ObjectiveStatus.ARCHIVED,
)

TRANSITIONS: Mapping[LifecycleAction, frozenset[tuple[ObjectiveStatus, ObjectiveStatus]]] = {
    LifecycleAction.SET_STATUS: frozenset({(_D, _A), (_D, _X), (_A, _X), (_C, _X)}),
    # A draft may be closed too: closing a cycle settles every objective still open in it.
    LifecycleAction.CLOSE: frozenset({(_D, _C), (_A, _C)}),
    LifecycleAction.REOPEN: frozenset({(_C, _A), (_X, _A)}),
}

INITIAL_STATUSES = frozenset({ObjectiveStatus.DRAFT, ObjectiveStatus.ACTIVE})
# Which statuses are read-only (CLOSED, ARCHIVED) is decided once, for objectives and what they
# hold alike: domain.key_results.read_only_problems.


def transition_allowed(action: LifecycleAction, current: str, target: str) -> bool:
    """Return whether ``action`` may move an objective from ``current`` to ``target``."""
    return (ObjectiveStatus(current), ObjectiveStatus(target)) in TRANSITIONS[action]


def _refusal(action: LifecycleAction, current: ObjectiveStatus, target: ObjectiveStatus) -> str:
    if current == target:
        return f"The objective is already {current.value}."
    if action is LifecycleAction.SET_STATUS and target == _C:
        return "Close an objective with closeObjective: it keeps the final score and outcome."
    if action is LifecycleAction.SET_STATUS and current == _X:
        return "An archived objective is brought back with reopenObjective."
    if action is LifecycleAction.SET_STATUS and current == _C:
        return "A closed objective can only be archived or reopened (reopenObjective)."
    if action is LifecycleAction.REOPEN:
        return "Only a closed or archived objective can be reopened."
    if action is LifecycleAction.CLOSE:
        return f"A {current.value} objective cannot be closed; only DRAFT and ACTIVE ones."
    return f"An objective cannot go from {current.value} to {target.value}."


def transition_problems(
    action: LifecycleAction, current: str, target: str, field: tuple[str, ...]
) -> list[Problem]:
    """The INVALID_TRANSITION problem, on ``field``, if ``action`` may not make this move."""
    if transition_allowed(action, current, target):
        return []
    message = _refusal(action, ObjectiveStatus(current), ObjectiveStatus(target))
    return [Problem(UserErrorCode.INVALID_TRANSITION, field, message)]


# --- Closing ------------------------------------------------------------------------------

# The seeds: reaching 70% of an ambitious objective is a good result, so it counts as achieved;
# above 30% something real moved (partial); at or below, the objective was missed.
ACHIEVED_FROM = Decimal("0.7")
PARTIAL_ABOVE = Decimal("0.3")


def final_score(progress: Decimal | None, override: Decimal | None) -> Decimal:
    """The score an objective keeps when closed: ``override`` when given, else its progress.

    An objective with nothing to score (progress null) closes at 0: it achieved nothing
    measurable, and a closed objective always has a score.
    """
    if override is not None:
        return override
    return Decimal(0) if progress is None else progress


def outcome_for_score(score: Decimal) -> ObjectiveOutcome:
    """The outcome a cycle's close gives an open objective from its final score.

    ACHIEVED from ``ACHIEVED_FROM`` (0.7) up, PARTIAL above ``PARTIAL_ABOVE`` (0.3), else
    MISSED. CANCELLED is never derived: only a person can decide an objective was dropped.
    """
    if score >= ACHIEVED_FROM:
        return ObjectiveOutcome.ACHIEVED
    if score > PARTIAL_ABOVE:
        return ObjectiveOutcome.PARTIAL
    return ObjectiveOutcome.MISSED


# --- Ownership ----------------------------------------------------------------------------

_TEAM_FIELD = ("input", "ownerTeamId")
_USER_FIELD = ("input", "ownerUserId")


@dataclass(frozen=True, slots=True)
class Owner:
    """Who owns an objective: its level and the team or person that goes with it."""

    level: ObjectiveLevel
    team_id: int | None
    user_id: int | None


def owner_problems(owner: Owner) -> list[Problem]:
    """The owner fields that do not fit the level: a TEAM objective has exactly an owner team,
    a PERSON objective exactly an owner person, a COMPANY objective neither."""
    problems: list[Problem] = []
    wants_team = owner.level == ObjectiveLevel.TEAM
    wants_user = owner.level == ObjectiveLevel.PERSON
    level = owner.level.value
    if wants_team and owner.team_id is None:
        problems.append(
            Problem(UserErrorCode.REQUIRED, _TEAM_FIELD, "A TEAM objective needs an owner team.")
        )
    if not wants_team and owner.team_id is not None:
        problems.append(
            Problem(UserErrorCode.INVALID, _TEAM_FIELD, f"A {level} objective has no owner team.")
        )
    if wants_user and owner.user_id is None:
        problems.append(
            Problem(UserErrorCode.REQUIRED, _USER_FIELD, "A PERSON objective needs an owner.")
        )
    if not wants_user and owner.user_id is not None:
        problems.append(
            Problem(UserErrorCode.INVALID, _USER_FIELD, f"A {level} objective has no owner person.")
        )
    return problems


def updated_owner(current: Owner, changes: Mapping[str, Any]) -> Owner:
    """The owner after a partial update whose given fields are ``changes``.

    Given fields win. An owner field left out keeps its value when it fits the (possibly new)
    level and is cleared otherwise, so moving a PERSON objective to COMPANY needs no explicit
    ``ownerUserId: null``, while a form that resends an unchanged level keeps the owner.
    """
    level = ObjectiveLevel(changes.get("level") or current.level)
    kept_team = current.team_id if level == ObjectiveLevel.TEAM else None
    kept_user = current.user_id if level == ObjectiveLevel.PERSON else None
    return Owner(
        level, changes.get("owner_team_id", kept_team), changes.get("owner_user_id", kept_user)
    )


# --- Cycles of aligned objectives ---------------------------------------------------------


def moved_cycle_problems(
    new_cycle: tuple[date, date], aligned: Iterable[tuple[date, date]]
) -> list[Problem]:
    """ALIGNMENT_CYCLES_DISJOINT when an objective moves to a cycle that no longer overlaps the
    cycle of an objective it is aligned with (a parent or a child): alignments only link
    objectives whose cycles overlap, and a move must not break that."""
    if all(cycles_overlap(*new_cycle, *other) for other in aligned):
        return []
    return [
        Problem(
            UserErrorCode.ALIGNMENT_CYCLES_DISJOINT,
            ("input", "cycleId"),
            "The new cycle does not overlap the cycle of an aligned objective; remove that"
            " alignment first.",
        )
    ]


# --- Commands -----------------------------------------------------------------------------


def _initial_status(value: ObjectiveStatus) -> ObjectiveStatus:
    if value not in INITIAL_STATUSES:
        raise PydanticCustomError(
            UserErrorCode.INVALID_TRANSITION.value,
            "A new objective starts as DRAFT or ACTIVE.",
        )
    return value


def _score_range(value: Decimal) -> Decimal:
    if not 0 <= value <= 1:
        raise PydanticCustomError(UserErrorCode.OUT_OF_RANGE.value, "Must be between 0 and 1.")
    return value


def _score_number(value: Any) -> Decimal:
    # finalScore is a Float: a client's 2/3 arrives as 0.6666666666666666, beyond the number
    # grammar's 10 places, yet a fine score. Scores have PROGRESS_PLACES places, so a float is
    # rounded to them (half-even) before the grammar judges it; text is judged as given.
    # Trailing zeros are dropped, so 0.2 is kept (and logged) as 0.2.
    if isinstance(value, float) and math.isfinite(value) and abs(value) < 1e15:
        return Decimal(format(rounded(Decimal(repr(value))).normalize(), "f"))
    return decimal_number(value)


Score = Annotated[Decimal, BeforeValidator(_score_number), AfterValidator(_score_range)]


class CreateObjective(Command):
    """A new objective, its global ids already resolved to keys."""

    title: Title
    description: Text = None
    cycle_id: int
    level: ObjectiveLevel
    owner_team_id: int | None = None
    owner_user_id: int | None = None
    progress_source: ProgressSource = ProgressSource.KEY_RESULTS
    status: Annotated[ObjectiveStatus, AfterValidator(_initial_status)] = ObjectiveStatus.ACTIVE

    @property
    def owner(self) -> Owner:
        """The owner as given (checked against the level by ``owner_problems``)."""
        return Owner(self.level, self.owner_team_id, self.owner_user_id)


class UpdateObjective(Update):
    """A partial change of an objective: ``description: null`` clears the description, the
    fields of `never_cleared` cannot be cleared, and the owner fields follow `updated_owner`."""

    never_cleared = ("title", "cycle_id", "level", "progress_source")

    id: int
    title: Title | None = None
    description: Text = None
    cycle_id: int | None = None
    level: ObjectiveLevel | None = None
    owner_team_id: int | None = None
    owner_user_id: int | None = None
    progress_source: ProgressSource | None = None
    version: int | None = None


class SetObjectiveStatus(Command):
    """Activate a draft or archive an objective."""

    id: int
    status: ObjectiveStatus
    version: int | None = None


class CloseObjective(Command):
    """Close an objective with its final score, outcome and reflection."""

    id: int
    outcome: ObjectiveOutcome
    final_score: Score | None = None
    reflection: Text = None
    version: int | None = None


class ReopenObjective(Command):
    """Make a closed or archived objective ACTIVE (and editable) again."""

    id: int
    version: int | None = None


class DeleteObjective(Command):
    """Delete an objective with its key results and check-ins."""

    id: int
    version: int | None = None


class CloseCycle(Command):
    """Close every open (DRAFT or ACTIVE) objective of a cycle at its computed score."""

    cycle_id: int
