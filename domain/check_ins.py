"""Check-in confidence, reporting cadence and when the next check-in is due."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from domain.errors import Problem, UserErrorCode
from domain.validation import Command, Number, Text


class Confidence(StrEnum):
    """The reporter's judgement of whether a key result will be met."""

    ON_TRACK = "ON_TRACK"
    AT_RISK = "AT_RISK"
    OFF_TRACK = "OFF_TRACK"


class CheckInCadence(StrEnum):
    """How often a key result's owner reports a value."""

    WEEKLY = "WEEKLY"
    BIWEEKLY = "BIWEEKLY"
    MONTHLY = "MONTHLY"


def add_months(moment: datetime, months: int) -> datetime:
    """Return ``moment`` moved by whole calendar months, keeping its time and tzinfo.

    A day that does not exist in the target month is clamped to that month's last day
    (Jan 31 + 1 month is Feb 28, or Feb 29 in a leap year).
    """
    month_index = moment.month - 1 + months
    year = moment.year + month_index // 12
    month = month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def next_check_in_due(cadence: str, last_measured_at: datetime | None, since: datetime) -> datetime:
    """Return when the next check-in of a key result is due.

    Counted from the latest check-in's measured time, or from ``since`` (the key result's
    creation) when there is none: plus 7 days (WEEKLY), 14 days (BIWEEKLY) or one calendar
    month (MONTHLY, day clamped to the month's end).
    """
    base = since if last_measured_at is None else last_measured_at
    # Aware datetimes add on the wall clock of their own tzinfo, so a weekly check-in at
    # 09:00 local stays at 09:00 across a DST change; for UTC (database rows) it is exact.
    if cadence == CheckInCadence.WEEKLY:
        return base + timedelta(days=7)
    if cadence == CheckInCadence.BIWEEKLY:
        return base + timedelta(days=14)
    if cadence == CheckInCadence.MONTHLY:
        return add_months(base, 1)
    raise ValueError(f"unknown check-in cadence {cadence!r}")


def is_overdue(due: datetime, now: datetime) -> bool:
    """Return whether a check-in due at ``due`` is late at ``now`` (strictly after)."""
    return now > due


# A client clock a little ahead of ours is not a future measurement.
CLOCK_SKEW = timedelta(minutes=5)
_READ_ONLY_STATUSES = frozenset({"CLOSED", "ARCHIVED"})


def check_in_problems(
    *,
    kind: str,
    objective_status: str,
    value_given: bool,
    done_given: bool,
    measured_at: datetime,
    now: datetime,
    cycle_start: datetime,
) -> list[Problem]:
    """The rules a new check-in must satisfy, given its key result and objective.

    NUMERIC and THRESHOLD key results take a value, milestones a done flag; closed and archived
    objectives take nothing; the measured time is neither in the future (beyond clock skew) nor
    before the cycle starts.
    """
    problems: list[Problem] = []
    if objective_status in _READ_ONLY_STATUSES:
        problems.append(
            Problem(
                UserErrorCode.OBJECTIVE_READ_ONLY,
                ("input", "keyResultId"),
                f"The objective is {objective_status.lower()}; reopen it to check in.",
            )
        )
    if kind == "MILESTONE":
        if not done_given:
            problems.append(
                Problem(UserErrorCode.REQUIRED, ("input", "done"), "A milestone needs `done`.")
            )
        if value_given:
            problems.append(
                Problem(
                    UserErrorCode.WRONG_KIND,
                    ("input", "value"),
                    "A milestone is done or not; it takes no value.",
                )
            )
    else:
        if not value_given:
            problems.append(
                Problem(UserErrorCode.REQUIRED, ("input", "value"), "A value is required.")
            )
        if done_given:
            problems.append(
                Problem(
                    UserErrorCode.WRONG_KIND,
                    ("input", "done"),
                    "Only milestones are checked in as done.",
                )
            )
    if measured_at > now + CLOCK_SKEW:
        problems.append(
            Problem(
                UserErrorCode.MEASURED_IN_FUTURE,
                ("input", "measuredAt"),
                "A value cannot be measured in the future.",
            )
        )
    if measured_at < cycle_start:
        problems.append(
            Problem(
                UserErrorCode.MEASURED_BEFORE_CYCLE,
                ("input", "measuredAt"),
                "The value is measured before the objective's cycle starts.",
            )
        )
    return problems


# An integration's key for a key result (domain.key_results.EXTERNAL_ID_MAX) and for a write.
EXTERNAL_ID_MAX = 200
IDEMPOTENCY_KEY_MAX = 200


def _key_text(limit: int) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        if value is None:
            return None
        trimmed = value.strip()
        if not trimmed:
            raise PydanticCustomError(UserErrorCode.REQUIRED.value, "Must not be blank.")
        if len(trimmed) > limit:
            raise PydanticCustomError(UserErrorCode.TOO_LONG.value, f"At most {limit} characters.")
        return trimmed

    return check


ExternalKey = Annotated[str | None, AfterValidator(_key_text(EXTERNAL_ID_MAX))]


class CreateCheckIn(Command):
    """A new check-in, its global ids already resolved to keys.

    The key result is named by exactly one of its id and its integration `externalId`
    (see `key_result_reference_problems`).
    """

    key_result_id: int | None = None
    key_result_external_id: ExternalKey = None
    value: Number | None = None
    done: bool | None = None
    confidence: Confidence
    comment: Text = None
    measured_at: AwareDatetime | None = None


def latest_measured_at(previous: datetime | None, measured_at: datetime) -> datetime:
    """The key result's latest measured time once a check-in measured at `measured_at` joins.

    The latest check-in is the one measured last (ties go to the newest, and a new check-in is
    the newest), so a back-dated value joins the history without hiding a newer one.
    """
    return measured_at if previous is None or measured_at >= previous else previous


def key_result_reference_problems(command: CreateCheckIn) -> list[Problem]:
    """A check-in names its key result by exactly one of `keyResultId` and
    `keyResultExternalId`."""
    given = (command.key_result_id is not None) + (command.key_result_external_id is not None)
    if given == 1:
        return []
    if given == 0:
        return [
            Problem(
                UserErrorCode.REQUIRED,
                ("input", "keyResultId"),
                "Name the key result by `keyResultId` or `keyResultExternalId`.",
            )
        ]
    return [
        Problem(
            UserErrorCode.INVALID,
            ("input", "keyResultExternalId"),
            "Give either `keyResultId` or `keyResultExternalId`, not both.",
        )
    ]


def idempotency_key_problems(key: str) -> list[Problem]:
    """An idempotency key is 1 to IDEMPOTENCY_KEY_MAX characters, not blank."""
    field = ("input", "idempotencyKey")
    if not key.strip():
        return [Problem(UserErrorCode.REQUIRED, field, "Must not be blank.")]
    if len(key) > IDEMPOTENCY_KEY_MAX:
        return [
            Problem(UserErrorCode.TOO_LONG, field, f"At most {IDEMPOTENCY_KEY_MAX} characters.")
        ]
    return []
