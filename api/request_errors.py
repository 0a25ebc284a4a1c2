"""The codes of request errors: a request that cannot be executed at all, answered without
`data` (README "Errors").

graphql-core raises syntax, validation and variable errors without `extensions.code`; each gets
the code of the step that refused it, so a client can tell them apart without reading messages.
Errors that already carry a code (the limits of api/limits.py, BAD_USER_INPUT from a rule)
keep it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError


class Step(StrEnum):
    """The step of preparing a request that refused it."""

    DOCUMENT = "document"  # parsing and validation
    OPERATION = "operation"  # choosing the operation to run
    TRANSPORT = "transport"  # an operation this transport does not serve
    VARIABLES = "variables"  # coercing the variables


PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"
OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
BAD_USER_INPUT = "BAD_USER_INPUT"
# The HTTP request itself (its parameters, its JSON): GraphQL-over-HTTP's "not well-formed".
BAD_REQUEST = "BAD_REQUEST"


def code_for(error: GraphQLError, step: Step, *, operation_named: bool = False) -> str:
    if step is Step.DOCUMENT:
        return PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else VALIDATION_FAILED
    if step is Step.OPERATION:
        return OPERATION_NOT_FOUND if operation_named else OPERATION_NAME_REQUIRED
    if step is Step.TRANSPORT:
        return OPERATION_NOT_SUPPORTED
    return BAD_USER_INPUT


def formatted(
    errors: list[GraphQLError], step: Step, *, operation_named: bool = False
) -> list[dict[str, Any]]:
    """The errors as the client sees them, each with a code."""
    answer = []
    for error in errors:
        entry = dict(error.formatted)
        extensions = dict(error.extensions or {})
        if "code" not in extensions:
            # The code first, where a reader looks for it.
            extensions = {"code": code_for(error, step, operation_named=operation_named),
                          **extensions}  # fmt: skip
        entry["extensions"] = extensions
        answer.append(entry)
    return answer
