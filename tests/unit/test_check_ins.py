"""When a key result's next check-in is due and whether it is overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.check_ins import CheckInCadence, add_months, is_overdue, next_check_in_due

CREATED = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
MEASURED = datetime(2026, 1, 12, 16, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cadence", "interval"),
    [("WEEKLY", timedelta(days=7)), ("BIWEEKLY", timedelta(days=14))],
)
def test_fixed_cadences_count_from_the_last_measured_time(
    cadence: str, interval: timedelta
) -> None:
    assert next_check_in_due(cadence, MEASURED, CREATED) == MEASURED + interval


def test_without_check_ins_the_count_starts_at_creation() -> None:
    assert next_check_in_due("WEEKLY", None, CREATED) == datetime(2026, 1, 12, 9, 30, tzinfo=UTC)


def test_monthly_is_one_calendar_month() -> None:
    due = next_check_in_due(CheckInCadence.MONTHLY, MEASURED, CREATED)
    assert due == datetime(2026, 2, 12, 16, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (datetime(2026, 1, 31, 8, 0, tzinfo=UTC), datetime(2026, 2, 28, 8, 0, tzinfo=UTC)),
        (datetime(2028, 1, 31, 8, 0, tzinfo=UTC), datetime(2028, 2, 29, 8, 0, tzinfo=UTC)),
        (datetime(2026, 3, 31, 8, 0, tzinfo=UTC), datetime(2026, 4, 30, 8, 0, tzinfo=UTC)),
        (datetime(2026, 12, 15, 8, 0, tzinfo=UTC), datetime(2027, 1, 15, 8, 0, tzinfo=UTC)),
    ],
)
def test_monthly_clamps_to_the_end_of_a_shorter_month(start: datetime, expected: datetime) -> None:
    assert next_check_in_due("MONTHLY", start, CREATED) == expected


def test_monthly_keeps_time_and_tzinfo() -> None:
    stockholm = ZoneInfo("Europe/Stockholm")
    start = datetime(2026, 3, 15, 9, 0, tzinfo=stockholm)
    due = next_check_in_due("MONTHLY", start, CREATED)
    # 09:00 local before and after the switch to summer time
    assert (due.hour, due.minute, due.tzinfo) == (9, 0, stockholm)
    assert due.date().isoformat() == "2026-04-15"


@pytest.mark.parametrize(
    ("months", "expected"),
    [(0, (2026, 5, 31)), (-3, (2026, 2, 28)), (12, (2027, 5, 31)), (-17, (2024, 12, 31))],
)
def test_add_months_in_both_directions(months: int, expected: tuple[int, int, int]) -> None:
    moved = add_months(datetime(2026, 5, 31, tzinfo=UTC), months)
    assert (moved.year, moved.month, moved.day) == expected


def test_unknown_cadence_is_a_bug() -> None:
    with pytest.raises(ValueError):
        next_check_in_due("DAILY", None, CREATED)


def test_overdue_only_strictly_after_due() -> None:
    due = datetime(2026, 1, 19, 9, 30, tzinfo=UTC)
    assert not is_overdue(due, due - timedelta(seconds=1))
    assert not is_overdue(due, due)
    assert is_overdue(due, due + timedelta(microseconds=1))


def test_overdue_compares_instants_across_zones() -> None:
    due = datetime(2026, 1, 19, 9, 30, tzinfo=UTC)
    # 10:00 in Stockholm is 09:00 UTC: not yet due
    assert not is_overdue(due, datetime(2026, 1, 19, 10, 0, tzinfo=ZoneInfo("Europe/Stockholm")))


@given(
    st.sampled_from(list(CheckInCadence)),
    st.one_of(st.none(), st.datetimes(max_value=datetime(9000, 1, 1), timezones=st.just(UTC))),
    st.datetimes(max_value=datetime(9000, 1, 1), timezones=st.just(UTC)),
)
def test_next_check_in_is_after_its_base(
    cadence: CheckInCadence, last_measured_at: datetime | None, since: datetime
) -> None:
    base = since if last_measured_at is None else last_measured_at
    due = next_check_in_due(cadence, last_measured_at, since)
    assert due > base
    assert is_overdue(due, due + timedelta(seconds=1))
