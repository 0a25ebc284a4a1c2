"""Cycle bounds and expected progress in the organisation's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.cycles import cycle_bounds, expected_progress, is_valid_time_zone

STOCKHOLM = ZoneInfo("Europe/Stockholm")
Q1_START, Q1_END = date(2026, 1, 1), date(2026, 3, 31)

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
zones = st.sampled_from(["UTC", "Europe/Stockholm", "America/Sao_Paulo", "Pacific/Kiritimati"])


# --- cycle_bounds -----------------------------------------------------------------------


def test_bounds_run_from_midnight_to_midnight_after_the_last_day_in_the_zone() -> None:
    # given Q1 2026 in Stockholm (UTC+1 in winter)
    start, end = cycle_bounds(Q1_START, Q1_END, "Europe/Stockholm")
    # then it starts at local midnight on Jan 1 and ends at local midnight on Apr 1 (UTC+2)
    assert start == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert start.tzinfo is UTC
    assert end.tzinfo is UTC


def test_bounds_in_utc() -> None:
    start, end = cycle_bounds(Q1_START, Q1_END, "UTC")
    assert (start, end) == (datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))


def test_one_day_cycle_is_one_day_long() -> None:
    start, end = cycle_bounds(date(2026, 6, 1), date(2026, 6, 1), "UTC")
    assert end - start == timedelta(days=1)


def test_midnight_skipped_by_dst_starts_at_the_first_instant_of_the_day() -> None:
    # given São Paulo in 2018, where clocks jumped from 00:00 to 01:00 on Nov 4 (UTC-3 -> UTC-2)
    start, _ = cycle_bounds(date(2018, 11, 4), date(2018, 11, 30), "America/Sao_Paulo")
    # then the cycle starts at 01:00 local time, 03:00 UTC
    assert start == datetime(2018, 11, 4, 3, 0, tzinfo=UTC)


# --- expected_progress ------------------------------------------------------------------


def test_before_start_is_zero_and_after_end_is_one() -> None:
    assert expected_progress(Q1_START, Q1_END, datetime(2025, 6, 1, tzinfo=UTC), "UTC") == 0.0
    assert expected_progress(Q1_START, Q1_END, datetime(2026, 6, 1, tzinfo=UTC), "UTC") == 1.0


def test_ends_on_is_inclusive() -> None:
    # given the last day of the cycle at noon, then the cycle is not over yet
    at_noon = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    assert 0.99 < expected_progress(Q1_START, Q1_END, at_noon, "UTC") < 1.0
    # and at midnight after it, it is
    assert expected_progress(Q1_START, Q1_END, datetime(2026, 4, 1, tzinfo=UTC), "UTC") == 1.0


def test_halfway_through_a_cycle() -> None:
    # given a 10-day cycle, when 5 days have passed
    now = datetime(2026, 6, 6, tzinfo=UTC)
    assert expected_progress(date(2026, 6, 1), date(2026, 6, 10), now, "UTC") == 0.5


def test_the_organisations_zone_decides_when_the_cycle_starts() -> None:
    # given 23:30 UTC on Dec 31, already 00:30 on Jan 1 in Stockholm
    now = datetime(2025, 12, 31, 23, 30, tzinfo=UTC)
    # then the Stockholm cycle has started and the UTC one has not
    assert expected_progress(Q1_START, Q1_END, now, "Europe/Stockholm") > 0.0
    assert expected_progress(Q1_START, Q1_END, now, "UTC") == 0.0


def test_now_in_any_zone_means_the_same_instant() -> None:
    utc_now = datetime(2026, 2, 14, 12, 0, tzinfo=UTC)
    local_now = utc_now.astimezone(STOCKHOLM)
    assert expected_progress(Q1_START, Q1_END, utc_now, "Europe/Stockholm") == expected_progress(
        Q1_START, Q1_END, local_now, "Europe/Stockholm"
    )


def test_naive_now_is_rejected() -> None:
    with pytest.raises(ValueError):
        expected_progress(Q1_START, Q1_END, datetime(2026, 2, 1), "UTC")


# --- is_valid_time_zone -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["UTC", "Europe/Stockholm", "Europe/Amsterdam", "Asia/Kolkata"])
def test_iana_names_are_valid(name: str) -> None:
    assert is_valid_time_zone(name)


@pytest.mark.parametrize(
    "name",
    ["", "Mars/Olympus_Mons", "europe/stockholm", "../etc/passwd", "/etc/localtime", "localtime"],
)
def test_other_names_are_invalid(name: str) -> None:
    assert not is_valid_time_zone(name)


# --- properties -------------------------------------------------------------------------


@given(moments, moments, zones, st.integers(0, 3650), st.integers(0, 800))
def test_expected_progress_is_monotonic_and_within_unit_interval(
    earlier: datetime, later: datetime, zone: str, offset_days: int, length_days: int
) -> None:
    earlier, later = min(earlier, later), max(earlier, later)
    starts_on = date(2026, 1, 1) + timedelta(days=offset_days - 1825)
    ends_on = starts_on + timedelta(days=length_days)
    at_earlier = expected_progress(starts_on, ends_on, earlier, zone)
    at_later = expected_progress(starts_on, ends_on, later, zone)
    assert 0.0 <= at_earlier <= at_later <= 1.0
