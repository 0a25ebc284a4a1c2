"""SCIM errors (RFC 7644 §3.12): an HTTP status, a `scimType` for the 400s the RFC names, and a
detail a person can act on."""

from __future__ import annotations

from enum import StrEnum


class ScimType(StrEnum):
    INVALID_FILTER = "invalidFilter"
    TOO_MANY = "tooMany"
    UNIQUENESS = "uniqueness"
    MUTABILITY = "mutability"
    INVALID_SYNTAX = "invalidSyntax"
    INVALID_PATH = "invalidPath"
    NO_TARGET = "noTarget"
    INVALID_VALUE = "invalidValue"
    INVALID_VERS = "invalidVers"


class ScimError(Exception):
    """A request SCIM refuses; nothing of it was written."""

    def __init__(self, status: int, detail: str, scim_type: ScimType | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def invalid_filter(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.INVALID_FILTER)


def invalid_syntax(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.INVALID_SYNTAX)


def invalid_path(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.INVALID_PATH)


def invalid_value(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.INVALID_VALUE)


def no_target(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.NO_TARGET)


def mutability(detail: str) -> ScimError:
    return ScimError(400, detail, ScimType.MUTABILITY)


def uniqueness(detail: str) -> ScimError:
    return ScimError(409, detail, ScimType.UNIQUENESS)


def not_found(detail: str) -> ScimError:
    return ScimError(404, detail)
