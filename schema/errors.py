"""User errors in mutation payloads: a broken rule, its stable code and the field at fault;
and FORBIDDEN, the one refusal that is not a user error (a known caller's forbidden action)."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import strawberry
from graphql import GraphQLError

from db.ids import MalformedIdError, decode_id_of
from domain.errors import DomainError, Problem, UserErrorCode
from domain.permissions import (
    Actor,
    ForbiddenError,
    may_administer,
    writes_check_ins,
    writes_objectives,
)
from schema.fields import value

if TYPE_CHECKING:
    from schema.context import RequestContext

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


def input_id(
    data: dict[str, Any], name: str, type_name: str, problems: list[Problem]
) -> int | None:
    """Resolve a global id of `data[name]`, noting a malformed one as a problem."""
    raw = data.get(name)
    if raw is None:
        return None
    try:
        return decode_id_of(raw, type_name)
    except MalformedIdError:
        problems.append(malformed_id(("input", name), type_name))
        return None


def malformed_id(field: tuple[str, ...], type_name: str) -> Problem:
    article = "an" if type_name[0] in "AEIOU" else "a"
    return Problem(UserErrorCode.INVALID_ID, field, f"Not {article} {type_name} id.")


FORBIDDEN = "FORBIDDEN"
RunFunction = Callable[["RequestContext", dict[str, Any]], Awaitable[dict[str, Any]]]


def forbidden_error(message: str) -> GraphQLError:
    """A known caller's forbidden action: a top-level error on the field, code FORBIDDEN."""
    return GraphQLError(message, extensions={"code": FORBIDDEN})


def authorized(
    allowed: Callable[[Actor], bool], message: str
) -> Callable[[RunFunction], RunFunction]:
    """Authorize a mutation's run function (domain/permissions.py holds the rules).

    Callers `allowed` refuses (viewers, read-only keys, non-admins for administration) are
    refused before their input is even read; the use case's own checks against the rows it
    locked raise `ForbiddenError` before any write, which becomes the same FORBIDDEN error.
    Mutations declared with schema/mutation_fields.py's `mutation` get this from their
    `Permission`; this decorator serves run functions written by hand, until there are none.
    """

    def decorate(run: RunFunction) -> RunFunction:
        @functools.wraps(run)
        async def guarded(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
            if not allowed(ctx.identity.actor):
                raise forbidden_error(message)
            try:
                return await run(ctx, args)
            except ForbiddenError as error:
                raise forbidden_error(str(error)) from None

        return guarded

    return decorate


@dataclass(frozen=True, slots=True)
class Permission:
    """Who may call a mutation at all (`allowed`, from domain/permissions.py), and what the
    others are told; the use case still checks the rows it locks (see `authorized`)."""

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
MANAGES_TEAMS = Permission(may_administer, ADMINS_ONLY_TEAMS)
MANAGES_WEBHOOKS = Permission(may_administer, ADMINS_ONLY_WEBHOOKS)
WRITES_OBJECTIVES = Permission(writes_objectives, READ_ONLY)
WRITES_CHECK_INS = Permission(writes_check_ins, NO_CHECK_INS)
