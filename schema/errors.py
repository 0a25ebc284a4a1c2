"""User errors in mutation payloads: a broken rule, its stable code and the field at fault."""

from __future__ import annotations

from typing import Any

import strawberry

from domain.errors import DomainError, Problem, UserErrorCode
from schema.fields import value
from schema.ids import MalformedIdError, decode_id_of

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
        problems.append(
            Problem(UserErrorCode.INVALID_ID, ("input", name), f"Not a {type_name} id.")
        )
        return None
