"""User errors: broken domain rules, reported with a stable code on the input field at fault.

Codes are API (clients switch on them); messages are for people. A command can break several
rules at once, and all of them are reported together, so a form can mark every field.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class UserErrorCode(StrEnum):
    """Why an input was refused. Documented with an example each in the README."""

    REQUIRED = "REQUIRED"
    TOO_LONG = "TOO_LONG"
    INVALID = "INVALID"
    INVALID_ID = "INVALID_ID"
    INVALID_NUMBER = "INVALID_NUMBER"
    INVALID_TEXT = "INVALID_TEXT"
    INVALID_DATE_RANGE = "INVALID_DATE_RANGE"
    TARGET_EQUALS_START = "TARGET_EQUALS_START"
    NOT_POSITIVE = "NOT_POSITIVE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    DUPLICATE_NAME = "DUPLICATE_NAME"
    DUPLICATE_EXTERNAL_ID = "DUPLICATE_EXTERNAL_ID"
    NOT_FOUND = "NOT_FOUND"
    WRONG_KIND = "WRONG_KIND"
    OBJECTIVE_READ_ONLY = "OBJECTIVE_READ_ONLY"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    MEASURED_IN_FUTURE = "MEASURED_IN_FUTURE"
    MEASURED_BEFORE_CYCLE = "MEASURED_BEFORE_CYCLE"
    ALIGNMENT_SELF = "ALIGNMENT_SELF"
    ALIGNMENT_CYCLE = "ALIGNMENT_CYCLE"
    ALIGNMENT_CYCLES_DISJOINT = "ALIGNMENT_CYCLES_DISJOINT"
    ALIGNMENT_EXISTS = "ALIGNMENT_EXISTS"
    HAS_CHILDREN = "HAS_CHILDREN"
    STALE_VERSION = "STALE_VERSION"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TOO_MANY_ITEMS = "TOO_MANY_ITEMS"
    URL_NOT_HTTPS = "URL_NOT_HTTPS"
    URL_HAS_CREDENTIALS = "URL_HAS_CREDENTIALS"
    URL_HAS_FRAGMENT = "URL_HAS_FRAGMENT"
    URL_HOST_NOT_ALLOWED = "URL_HOST_NOT_ALLOWED"
    INVALID_EMAIL = "INVALID_EMAIL"
    DUPLICATE_EMAIL = "DUPLICATE_EMAIL"
    UNKNOWN_ROLE = "UNKNOWN_ROLE"
    LAST_ADMIN = "LAST_ADMIN"
    ALREADY_MEMBER = "ALREADY_MEMBER"
    ALREADY_INVITED = "ALREADY_INVITED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_REVOKED = "INVITATION_REVOKED"
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    MEMBER_DEACTIVATED = "MEMBER_DEACTIVATED"


@dataclass(frozen=True, slots=True)
class Problem:
    code: UserErrorCode
    field: tuple[str, ...]
    message: str


class DomainError(Exception):
    """One or more broken rules; nothing of the command may be written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(p.message for p in problems))
        self.problems = tuple(problems)

    @classmethod
    def of(cls, code: UserErrorCode, field: Sequence[str], message: str) -> DomainError:
        return cls([Problem(code, tuple(field), message)])


def raise_problems(problems: Iterable[Problem]) -> None:
    """Raise a DomainError with every problem found, if any."""
    found = list(problems)
    if found:
        raise DomainError(found)
