"""Objective levels, lifecycle states, progress aggregation and pace."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from itertools import chain


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


def weighted_progress(items: Iterable[tuple[float, float]]) -> float | None:
    """Return the weighted mean of ``(score, weight)`` pairs, weights > 0.

    ``None`` when there are no items: nothing measured is not the same as nothing achieved.
    """
    total_weight = 0.0
    total = 0.0
    for item_score, weight in items:
        total_weight += weight
        total += item_score * weight
    if total_weight <= 0.0:
        return None
    return total / total_weight


def objective_progress(
    source: str,
    key_results: Iterable[tuple[float, float]],
    children: Iterable[tuple[float | None, float]],
) -> float | None:
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
