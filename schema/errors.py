"""User errors in mutation payloads: a broken rule, its stable code and the field at fault;
and FORBIDDEN, the one refusal that is not a user error (a known caller's forbidden action)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from graphql import GraphQLError

from domain.errors import DomainError, Problem, UserErrorCode
from domain.permissions import (
    Actor,
    holds_tokens,
    may_administer,
    may_manage_members,
    may_manage_tokens,
    writes_check_ins,
    writes_objectives,
)
from schema.fields import value

strawberry.enum(
    UserErrorCode,
    description="Why an input was refused; stable API (messages are for people). See the"
    " README for an example of each.",
)


@strawberry.type(description="A rule the input broke; nothing of the mutation was written.")
class UserError:
    field: list[str] | None = value(
        "field", 'Path to the input field at fault, e.g. ["input", "title"].'
    )
    message: str = value("message", "What is wrong, for people.")
    code: UserErrorCode = value("code", "What is wrong, for programs.")


def user_errors(error: DomainError) -> list[dict[str, Any]]:
    return [
        {"field": list(p.field), "message": p.message, "code": p.code.value} for p in error.problems
    ]


def malformed_id(field: tuple[str, ...], type_name: str) -> Problem:
    article = "an" if type_name[0] in "AEIOU" else "a"
    return Problem(UserErrorCode.INVALID_ID, field, f"Not {article} {type_name} id.")


FORBIDDEN = "FORBIDDEN"


def forbidden_error(message: str) -> GraphQLError:
    """A known caller's forbidden action: a top-level error on the field, code FORBIDDEN."""
    return GraphQLError(message, extensions={"code": FORBIDDEN})


@dataclass(frozen=True, slots=True)
class Permission:
    """Who may call a mutation at all (`allowed`, from domain/permissions.py), and what the
    others are told; the use case still checks the rows it locks (raising `ForbiddenError`,
    which schema/mutation_fields.py turns into the same FORBIDDEN error)."""

    allowed: Callable[[Actor], bool]
    message: str


# What callers refused outright are told.
ADMINS_ONLY_CYCLES = "Only an admin of the organisation may manage cycles."
ADMINS_ONLY_MEMBERS = "Only an admin of the organisation may manage its members."
ADMINS_ONLY_KEYS = "Only an admin of the organisation may manage API keys."
ADMINS_ONLY_TEAMS = "Only an admin of the organisation may manage teams and their members."
ADMINS_ONLY_WEBHOOKS = "Only an admin of the organisation may manage webhooks."
READ_ONLY = "Viewers and read-only API keys may not change objectives or key results."
NO_CHECK_INS = "Viewers and read-only API keys may not check in."

MANAGES_CYCLES = Permission(may_administer, ADMINS_ONLY_CYCLES)
MANAGES_KEYS = Permission(may_administer, ADMINS_ONLY_KEYS)
MANAGES_MEMBERS = Permission(may_manage_members, ADMINS_ONLY_MEMBERS)
MAKES_TOKENS = Permission(
    may_manage_tokens, "Personal access tokens are made by a person signed in themself."
)
REVOKES_TOKENS = Permission(holds_tokens, "Only people have personal access tokens.")
MANAGES_TEAMS = Permission(may_administer, ADMINS_ONLY_TEAMS)
MANAGES_WEBHOOKS = Permission(may_administer, ADMINS_ONLY_WEBHOOKS)
WRITES_OBJECTIVES = Permission(writes_objectives, READ_ONLY)
WRITES_CHECK_INS = Permission(writes_check_ins, NO_CHECK_INS)
