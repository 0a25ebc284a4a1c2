"""Cycle time: where a cycle begins and ends, and how much of it has elapsed.

Cycle dates are calendar dates in the organisation's IANA time zone, so "Q1" in Stockholm
starts an hour before Q1 in London. A cycle runs from 00:00 on ``starts_on`` to 00:00 on the
day after ``ends_on`` (``ends_on`` is inclusive), both in that zone.

Cycles nest (a year and its quarters): a cycle lies within its parent's days, and no cycle is
its own ancestor. Names are unique in the organisation, so "2026 Q1" names one cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

from domain.errors import Problem, UserErrorCode
from domain.hierarchy import becomes_own_ancestor
from domain.updates import Update
from domain.validation import Command, Title

# "localtime" is whatever the server's /etc/localtime says: an organisation's calendar must
# not change when the API moves to another host.
_HOST_DEPENDENT_ZONES = frozenset({"localtime"})


@functools.cache
def _zone(name: str) -> ZoneInfo:
    # Only ever called with validated names (from the database), so the cache stays small;
    # zoneinfo's own cache keeps just a handful of strong references.
    return ZoneInfo(name)


@functools.cache
def _known_zones() -> frozenset[str]:
    # Scanning the tz database takes tens of milliseconds; do it once per process.
    return frozenset(available_timezones()) - _HOST_DEPENDENT_ZONES


def is_valid_time_zone(name: str) -> bool:
    """Return whether ``name`` is an IANA time zone an organisation may use.

    Membership in the known set (not "ZoneInfo can load it") keeps file paths, odd cases and
    host-dependent zones out, and never grows the zone cache with user input.
    """
    return name in _known_zones()


def _start_of_day(day: date, zone: ZoneInfo) -> datetime:
    # fold=0 maps a midnight skipped by a DST jump to the first instant that exists, and a
    # repeated midnight to the earlier one: either way, the day's first instant.
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def cycle_bounds(starts_on: date, ends_on: date, time_zone: str) -> tuple[datetime, datetime]:
    """Return a cycle's half-open interval ``[start, end)`` as aware UTC datetimes.

    ``start`` is 00:00 of ``starts_on`` and ``end`` is 00:00 of the day after ``ends_on``,
    both in ``time_zone``.
    """
    # Cached because every objective of a cycle asks for the same bounds on each read.
    zone = _zone(time_zone)
    return _start_of_day(starts_on, zone), _start_of_day(ends_on + timedelta(days=1), zone)


@functools.lru_cache(maxsize=4096)
def _bounds_seconds(starts_on: date, ends_on: date, time_zone: str) -> tuple[float, float]:
    start, end = cycle_bounds(starts_on, ends_on, time_zone)
    return start.timestamp(), end.timestamp()


def expected_progress(starts_on: date, ends_on: date, now: datetime, time_zone: str) -> float:
    """Return the elapsed fraction of the cycle at ``now``, in [0, 1].

    0.0 before the cycle starts, 1.0 from its end on. ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    start, end = _bounds_seconds(starts_on, ends_on, time_zone)
    elapsed = now.timestamp() - start
    if elapsed <= 0.0:
        return 0.0
    length = end - start
    if elapsed >= length:
        return 1.0
    return elapsed / length


# --- Writing cycles -----------------------------------------------------------------------


class CreateCycle(Command):
    """A new cycle, its global ids already resolved to keys."""

    name: Title
    starts_on: date
    ends_on: date
    parent_cycle_id: int | None = None


class UpdateCycle(Update):
    """Changes to a cycle: an explicit null detaches it from its parent; name and dates cannot
    be cleared."""

    never_cleared = ("name", "starts_on", "ends_on")

    id: int
    name: Title | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    parent_cycle_id: int | None = None
    version: int | None = None


@dataclass(frozen=True, slots=True)
class CycleDates:
    """A cycle as the nesting rules see it: its name (for messages) and its days."""

    name: str
    starts_on: date
    ends_on: date


def date_range_problems(starts_on: date, ends_on: date) -> list[Problem]:
    """A cycle starts strictly before it ends (docs/domain-rules.md, "Cycles and teams").

    ``ends_on`` is inclusive, so the shortest cycle spans two days.
    """
    if starts_on < ends_on:
        return []
    return [
        Problem(
            UserErrorCode.INVALID_DATE_RANGE,
            ("input", "endsOn"),
            f"Must be after the start date {starts_on.isoformat()}.",
        )
    ]


def within_parent_problems(starts_on: date, ends_on: date, parent: CycleDates) -> list[Problem]:
    """A cycle lies within its parent's days: a quarter never reaches outside its year."""
    problems: list[Problem] = []
    if starts_on < parent.starts_on:
        problems.append(
            Problem(
                UserErrorCode.OUT_OF_RANGE,
                ("input", "startsOn"),
                f"Starts before its parent cycle {parent.name!r}"
                f" ({parent.starts_on.isoformat()} to {parent.ends_on.isoformat()}).",
            )
        )
    if ends_on > parent.ends_on:
        problems.append(
            Problem(
                UserErrorCode.OUT_OF_RANGE,
                ("input", "endsOn"),
                f"Ends after its parent cycle {parent.name!r}"
                f" ({parent.starts_on.isoformat()} to {parent.ends_on.isoformat()}).",
            )
        )
    return problems


def contains_children_problems(
    starts_on: date, ends_on: date, children: Iterable[CycleDates]
) -> list[Problem]:
    """New days of a parent cycle still hold every child: a year cannot shrink off a quarter.

    At most one problem per date, naming the child furthest outside.
    """
    before = [c for c in children if c.starts_on < starts_on]
    after = [c for c in children if c.ends_on > ends_on]
    problems: list[Problem] = []
    if before:
        first = min(before, key=lambda c: c.starts_on)
        problems.append(
            Problem(
                UserErrorCode.OUT_OF_RANGE,
                ("input", "startsOn"),
                f"Its cycle {first.name!r} starts earlier, on {first.starts_on.isoformat()}.",
            )
        )
    if after:
        last = max(after, key=lambda c: c.ends_on)
        problems.append(
            Problem(
                UserErrorCode.OUT_OF_RANGE,
                ("input", "endsOn"),
                f"Its cycle {last.name!r} ends later, on {last.ends_on.isoformat()}.",
            )
        )
    return problems


def parent_cycle_problems(cycle_id: int, new_parent_chain: Collection[int]) -> list[Problem]:
    """A cycle never moves under itself or one of its own sub-cycles."""
    if not becomes_own_ancestor(cycle_id, new_parent_chain):
        return []
    return [
        Problem(
            UserErrorCode.INVALID,
            ("input", "parentCycleId"),
            "A cycle cannot be part of itself or of one of its own sub-cycles.",
        )
    ]


def duplicate_cycle_name(name: str) -> Problem:
    """The problem of a name another cycle of the organisation already has."""
    return Problem(
        UserErrorCode.DUPLICATE_NAME, ("input", "name"), f"A cycle named {name!r} already exists."
    )
