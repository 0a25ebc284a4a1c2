"""SCIM error bodies (RFC 7644 §3.12) and the translation of okrql's errors into them."""

from __future__ import annotations

import logging
from typing import Any

import orjson
from starlette.responses import Response

from api.outages import OutageLog
from api.request_log import request_id_var
from db.pool import DatabaseFault, fault_of
from domain.errors import DomainError, UserErrorCode
from domain.permissions import ForbiddenError
from domain.scim.errors import ScimError, ScimType
from domain.scim.schemas import ERROR

log = logging.getLogger(__name__)

SCIM_JSON = "application/scim+json"

# Broken okrql rules, as SCIM answers them: taken names are 409 uniqueness, a change that
# conflicts with the organisation's state (its last admin, a team that still owns
# objectives) is 409, a stale If-Match 412, anything else about a value 400 invalidValue.
_STATUS = {
    UserErrorCode.DUPLICATE_NAME: (409, ScimType.UNIQUENESS),
    UserErrorCode.DUPLICATE_EMAIL: (409, ScimType.UNIQUENESS),
    UserErrorCode.DUPLICATE_EXTERNAL_ID: (409, ScimType.UNIQUENESS),
    UserErrorCode.ALREADY_MEMBER: (409, ScimType.UNIQUENESS),
    UserErrorCode.ALREADY_INVITED: (409, ScimType.UNIQUENESS),
    UserErrorCode.LAST_ADMIN: (409, None),
    UserErrorCode.HAS_CHILDREN: (409, None),
    UserErrorCode.NOT_FOUND: (404, None),
    UserErrorCode.STALE_VERSION: (412, None),
}


def scim_json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers=headers, media_type=SCIM_JSON)


def error_response(
    status: int,
    detail: str,
    scim_type: ScimType | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type is not None:
        body["scimType"] = scim_type.value
    return scim_json(body, status, headers)


def from_scim(error: ScimError) -> Response:
    return error_response(error.status, error.detail, error.scim_type)


def from_domain(error: DomainError) -> Response:
    problem = error.problems[0]
    status, scim_type = _STATUS.get(problem.code, (400, ScimType.INVALID_VALUE))
    return error_response(status, "; ".join(p.message for p in error.problems), scim_type)


def from_forbidden(error: ForbiddenError) -> Response:
    return error_response(403, str(error))


def from_unexpected(error: Exception, outages: OutageLog) -> Response:
    """A database fault is a coded, retryable 503/504 (an outage logged once, with /graphql's,
    not once per request); anything else is masked (500), with the request id that the logs
    carry."""
    fault = fault_of(error)
    request_id = request_id_var.get()
    if fault is DatabaseFault.TIMEOUT:
        log.warning("database time budget exceeded: %s", error)
        return error_response(504, "The database did not answer in time; nothing was written.")
    if fault is not None:
        outages.refused(error)
        return error_response(
            503, "The database is unavailable; nothing was written.", headers={"retry-after": "5"}
        )
    log.exception("unexpected error while answering a SCIM request")
    return error_response(500, f"Unexpected error (request {request_id}).")
