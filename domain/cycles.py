"""Cycle time: where a cycle begins and ends, and how much of it has elapsed.

Cycle dates are calendar dates in the organisation's IANA time zone, so "Q1" in Stockholm
starts an hour before Q1 in London. A cycle runs from 00:00 on ``starts_on`` to 00:00 on the
day after ``ends_on`` (``ends_on`` is inclusive), both in that zone.
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

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
