"""The codes of request errors: a request that cannot be executed at all, answered without
`data` (README "Errors").

graphql-core raises syntax, validation and variable errors without `extensions.code`; where
api/executor.py (or a transport) raises a RequestError, each error gets the code of the step
that refused it, so a client can tell them apart without reading messages. Errors that
already carry a code (the limits of api/limits.py, BAD_USER_INPUT from a rule) keep it.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import GraphQLError

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"
OPERATION_NOT_FOUND = "OPERATION_NOT_FOUND"
OPERATION_NOT_SUPPORTED = "OPERATION_NOT_SUPPORTED"
BAD_USER_INPUT = "BAD_USER_INPUT"
# The HTTP request itself (its parameters, its JSON): GraphQL-over-HTTP's "not well-formed".
BAD_REQUEST = "BAD_REQUEST"


def coded(errors: Iterable[GraphQLError], code: str) -> list[GraphQLError]:
    """The errors, each given `code` unless it has one (the code first, where a reader looks)."""
    out = list(errors)
    for error in out:
        extensions = error.extensions or {}
        if "code" not in extensions:
            error.extensions = {"code": code, **extensions}
    return out
