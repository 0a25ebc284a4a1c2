"""The /graphql endpoint, following the GraphQL-over-HTTP specification.

- POST with `application/json`; GET for queries only (a mutation over GET is 405).
- Responses are `application/graphql-response+json` when the client accepts it, where a
  request error (unparsable, invalid, bad variables) is a 4xx without `data`; plain
  `application/json` otherwise, where the specification asks for 200.
- Unexpected errors are masked: the client gets a request id that the logs carry. A database
  that is unreachable (503 DATABASE_UNAVAILABLE, with Retry-After) or over its time budget
  (504 TIMEOUT) is not a bug: those answers are coded and logged as warnings.
- Limits (README "Limits", api/limits.py): the body size while reading it; tokens, depth,
  aliases, directives, page sizes and the query cost in `check`, before the caller is resolved
  or a connection taken; then introspection (administrators only in production) and the
  caller's rate limit (429). A successful response reports its cost in `extensions.cost`.
- An administrator in development may ask for the request's plan (api/plans.py), answered in
  `extensions.plan`.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
from typing import Any

import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api import graphiql, limits, metrics, plans
from api.compression import GZIP_MINIMUM_BYTES, accepts_gzip, gzipped
from api.executor import RequestError, check, execute, execute_standard
from api.identity import IdentityError, credentials_in_url, resolve_graphql_identity
from api.outages import OutageLog
from api.request_log import request_id_var
from api.security_headers import FRAME_POLICY
from api.settings import Settings
from db.planner.mapping import ReadContext
from db.pool import DatabaseFault, fault_of
from schema.context import RequestContext

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
EXECUTOR_HEADER = "x-okrql-executor"
# orjson's limit on the nesting of a JSON document.
MAX_JSON_DEPTH = 1024
# Identity.role of those who may introspect and use GraphiQL in production.
ADMIN_ROLE = "ADMIN"


def _media_type(request: Request) -> str | None:
    """The response type the client accepts, or None when it accepts neither JSON type."""
    accept = request.headers.get("accept", "")
    if not accept:
        return JSON
    for part in accept.split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media == GRAPHQL_RESPONSE:
            return GRAPHQL_RESPONSE
        if media in (JSON, "application/*", "*/*"):
            return JSON
    return None


def _response(
    body: dict[str, Any], media_type: str, status: int = 200, *, gzip: bool = False
) -> Response:
    content = orjson.dumps(body)
    if "errors" in body:
        metrics.note_errors(body["errors"])
    if gzip and len(content) >= GZIP_MINIMUM_BYTES:
        return Response(
            gzipped(content),
            status_code=status,
            media_type=f"{media_type}; charset=utf-8",
            headers={"content-encoding": "gzip", "vary": "Accept-Encoding"},
        )
    return Response(content, status_code=status, media_type=f"{media_type}; charset=utf-8")


def _request_error(
    errors: list[dict[str, Any]], media_type: str, status: int = 400, *, gzip: bool = False
) -> Response:
    body = {"errors": errors}
    # application/json keeps 200 for request errors, as the specification asks.
    return _response(body, media_type, status if media_type == GRAPHQL_RESPONSE else 200, gzip=gzip)


def _error(
    message: str, code: str, status: int, media_type: str = JSON, **headers: str
) -> Response:
    response = _response(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, media_type, status
    )
    response.headers.update(headers)
    return response


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None once it is larger than `limit` bytes (read no further than that)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def rate_limited_response(error: dict[str, Any], media_type: str) -> Response:
    """429 with Retry-After, for a RATE_LIMITED error of limits.admission_error (formatted)."""
    response = _response({"errors": [error]}, media_type, 429)
    response.headers["retry-after"] = str(error["extensions"]["retryAfter"])
    return response


async def _read_params(request: Request, media_type: str) -> dict[str, Any] | Response:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        for name in ("variables", "extensions"):
            if name in params:
                try:
                    params[name] = orjson.loads(params[name])
                except orjson.JSONDecodeError as error:
                    if _too_deep(error):
                        return _error(
                            f"`{name}` is nested too deeply.", "BAD_REQUEST", 400, media_type
                        )
                    return _error(f"`{name}` is not valid JSON.", "BAD_REQUEST", 400, media_type)
        return params
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != JSON:
        return _error(
            "Send GraphQL requests as application/json.", "UNSUPPORTED_MEDIA_TYPE", 415, media_type
        )
    body = await _read_body(request, request.app.state.settings.max_body_bytes)
    if body is None:
        return _error("The request body is too large.", "REQUEST_TOO_LARGE", 413, media_type)
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if _too_deep(error):
            return _error(
                f"The request body is nested too deeply (at most {MAX_JSON_DEPTH} levels).",
                "BAD_REQUEST",
                400,
                media_type,
            )
        # orjson refuses numbers beyond a double (1e400); the standard parser reads them as
        # decimals, so the input rules can refuse them on their field instead.
        try:
            params = json.loads(body, parse_float=decimal.Decimal)
        except (ValueError, RecursionError):
            return _error("The request body is not valid JSON.", "BAD_REQUEST", 400, media_type)
    if not isinstance(params, dict):
        return _error("The request body must be a JSON object.", "BAD_REQUEST", 400, media_type)
    return params


def _too_deep(error: orjson.JSONDecodeError) -> bool:
    # orjson stops at MAX_JSON_DEPTH levels; the standard parser would recurse until Python's
    # own limit and fail with a RecursionError (a 500), so such a body goes no further.
    return "depth limit" in str(error)


def _params_error(params: dict[str, Any]) -> str | None:
    """What is wrong with the types of the request's parameters (GraphQL-over-HTTP), if
    anything."""
    query = params.get("query")
    if not isinstance(query, str) or not query.strip():
        return "A `query` string is required."
    operation_name = params.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        return "`operationName` must be a string."
    for name in ("variables", "extensions"):
        value = params.get(name)
        if value is not None and not isinstance(value, dict):
            return f"`{name}` must be an object."
    return None


def _database_fault(
    fault: DatabaseFault, error: Exception, request: Request, media_type: str
) -> Response:
    """A coded, retryable answer to a database that is down or over its time budget (README
    "Faults"); whatever the request wrote was rolled back with its transaction."""
    settings: Settings = request.app.state.settings
    request_id = request_id_var.get()
    if fault is DatabaseFault.TIMEOUT:
        log.warning("database time budget exceeded: %s", error)
        message = "The database did not answer in time; nothing was written. Retry later."
        extensions: dict[str, Any] = {"code": fault.value, "requestId": request_id}
        return _response(
            {"data": None, "errors": [{"message": message, "extensions": extensions}]},
            media_type,
            504,
        )
    outages: OutageLog = request.app.state.outages
    outages.refused(error)
    retry_after = settings.database_retry_after
    message = "The database is unavailable; nothing was written. Retry later."
    extensions = {"code": fault.value, "retryAfter": retry_after, "requestId": request_id}
    response = _response(
        {"data": None, "errors": [{"message": message, "extensions": extensions}]},
        media_type,
        503,
    )
    response.headers["retry-after"] = str(retry_after)
    return response


async def graphql_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if credentials_in_url(request):
        # URLs end up in logs and histories: credentials go in the Authorization header.
        return _error(
            "Credentials are not accepted in the URL: send `Authorization: Bearer <key>`.",
            "BAD_REQUEST",
            400,
        )
    if request.method == "GET" and graphiql.wants_graphiql(request):
        if settings.is_production:
            # Production serves GraphiQL to administrators only (introspection is theirs).
            try:
                viewer = await resolve_graphql_identity(request)
            except IdentityError as error:
                return _error(str(error), error.code, error.status, **error.headers)
            if viewer.role != ADMIN_ROLE:
                return _error(
                    "GraphiQL is only served to administrators in production.", "FORBIDDEN", 403
                )
        return HTMLResponse(
            graphiql.graphiql_html(plans=not settings.is_production),
            headers={"content-security-policy": FRAME_POLICY},
        )
    media_type = _media_type(request)
    if media_type is None:
        return Response(status_code=406)
    params = await _read_params(request, media_type)
    if isinstance(params, Response):
        return params
    problem = _params_error(params)
    if problem is not None:
        return _error(problem, "BAD_REQUEST", 400, media_type)
    query: str = params["query"]
    operation_name: str | None = params.get("operationName")
    variables: dict[str, Any] | None = params.get("variables")
    try:
        # Every limit that needs no database, before the caller is even resolved.
        checked = check(settings, query, operation_name, variables)
        name = checked.operation.name
        metrics.note_operation(name.value if name else None, checked.operation.operation.value)
        if request.method == "GET" and checked.operation.operation is not OperationType.QUERY:
            return _error(
                "Only queries may be sent with GET.", "METHOD_NOT_ALLOWED", 405, media_type,
                allow="POST",
            )  # fmt: skip
        try:
            identity = await resolve_graphql_identity(request)
        except IdentityError as error:
            return _error(str(error), error.code, error.status, media_type, **error.headers)
        if checked.introspection and settings.is_production and identity.role != ADMIN_ROLE:
            return _request_error(
                [dict(limits.introspection_disabled_error().formatted)], media_type
            )
        trace = (
            plans.trace_for(params["extensions"], settings, identity, checked.operation.operation)
            if params.get("extensions")
            else None
        )
        # (check() refused a request costing more than one may: this only charges the bucket)
        limited = limits.admission_error(
            limits.bucket_of(request.app), identity, checked.cost, settings.max_query_cost
        )
        if limited is not None:
            return rate_limited_response(dict(limited.formatted), media_type)
        pool = request.app.state.pool
        async with pool.acquire() as conn:
            ctx = RequestContext(
                settings=settings,
                identity=identity,
                read=ReadContext(
                    organization_id=identity.organization_id,
                    user_id=identity.user_id,
                    now=dt.datetime.now(dt.UTC),
                    time_zone=identity.time_zone,
                    actor=identity.actor,
                ),
                request_id=request_id_var.get(),
                conn=conn,
            )
            if not settings.is_production and request.headers.get(EXECUTOR_HEADER) == "standard":
                # Development only: strawberry's field-by-field executor, the planner's oracle.
                body = await execute_standard(ctx, query, operation_name, variables)
            else:
                body = await execute(
                    ctx, settings, query, operation_name, variables, checked, trace
                )
    except RequestError as error:
        errors = [dict(e.formatted) for e in error.errors]
        return _request_error(errors, media_type, gzip=accepts_gzip(request))
    except Exception as error:
        fault = fault_of(error)
        if fault is not None:
            return _database_fault(fault, error, request, media_type)
        request_id = request_id_var.get()
        log.exception("unexpected error while executing a GraphQL request")
        return _response(
            {
                "data": None,
                "errors": [
                    {
                        "message": "Unexpected error.",
                        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
                    }
                ],
            },
            media_type,
            500 if media_type == GRAPHQL_RESPONSE else 200,
        )
    outages: OutageLog = request.app.state.outages
    if outages.active:
        outages.served()
    body["extensions"] = {
        "cost": {"requested": checked.cost, "limit": settings.max_query_cost},
    }
    if trace is not None and trace.plan is not None:
        body["extensions"][plans.EXTENSION] = trace.report()
    return _response(body, media_type, gzip=accepts_gzip(request))
