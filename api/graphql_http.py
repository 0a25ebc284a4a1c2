"""The /graphql endpoint, following the GraphQL-over-HTTP specification.

- POST with `application/json`; GET for queries only (a mutation over GET is 405).
- Responses are `application/graphql-response+json` when the client accepts it, where a
  request error (unparsable, invalid, bad variables) is a 4xx without `data`; plain
  `application/json` otherwise, where the specification asks for 200.
- Unexpected errors are masked: the client gets a request id that the logs carry.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from api import graphiql
from api.context import RequestContext
from api.executor import RequestError, execute, execute_standard, prepare, select_operation
from api.identity import IdentityError, resolve_identity
from api.request_log import request_id_var
from api.settings import Settings
from db.planner.mapping import ReadContext

log = logging.getLogger(__name__)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
MAX_BODY_BYTES = 1_000_000
EXECUTOR_HEADER = "x-okrql-executor"


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


def _response(body: dict[str, Any], media_type: str, status: int = 200) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, media_type=f"{media_type}; charset=utf-8"
    )


def _request_error(errors: list[GraphQLError], media_type: str, status: int = 400) -> Response:
    body = {"errors": [e.formatted for e in errors]}
    # application/json keeps 200 for request errors, as the specification asks.
    return _response(body, media_type, status if media_type == GRAPHQL_RESPONSE else 200)


def _error(
    message: str, code: str, status: int, media_type: str = JSON, **headers: str
) -> Response:
    response = _response(
        {"errors": [{"message": message, "extensions": {"code": code}}]}, media_type, status
    )
    response.headers.update(headers)
    return response


async def _read_params(request: Request) -> dict[str, Any] | Response:
    if request.method == "GET":
        params: dict[str, Any] = dict(request.query_params)
        if "variables" in params:
            try:
                params["variables"] = orjson.loads(params["variables"])
            except orjson.JSONDecodeError:
                return _error("`variables` is not valid JSON.", "BAD_REQUEST", 400)
        return params
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if content_type != JSON:
        return _error("Send GraphQL requests as application/json.", "UNSUPPORTED_MEDIA_TYPE", 415)
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error("The request body is too large.", "REQUEST_TOO_LARGE", 413)
    try:
        params = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses numbers beyond a double (1e400); the standard parser reads them as
        # decimals, so the input rules can refuse them on their field instead.
        try:
            params = json.loads(body, parse_float=decimal.Decimal)
        except ValueError:
            return _error("The request body is not valid JSON.", "BAD_REQUEST", 400)
    if not isinstance(params, dict):
        return _error("The request body must be a JSON object.", "BAD_REQUEST", 400)
    return params


async def graphql_endpoint(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if request.method == "GET" and graphiql.wants_graphiql(request):
        if settings.is_production:
            return _error("GraphiQL is not served in production.", "FORBIDDEN", 403)
        return HTMLResponse(graphiql.graphiql_html())
    media_type = _media_type(request)
    if media_type is None:
        return Response(status_code=406)
    params = await _read_params(request)
    if isinstance(params, Response):
        return params
    query, operation_name, variables = (
        params.get("query"),
        params.get("operationName"),
        params.get("variables"),
    )
    if not isinstance(query, str) or not query.strip():
        return _error("A `query` string is required.", "BAD_REQUEST", 400, media_type)
    if operation_name is not None and not isinstance(operation_name, str):
        return _error("`operationName` must be a string.", "BAD_REQUEST", 400, media_type)
    if variables is not None and not isinstance(variables, dict):
        return _error("`variables` must be an object.", "BAD_REQUEST", 400, media_type)
    try:
        if request.method == "GET":
            operation = select_operation(prepare(query), operation_name)
            if operation.operation is not OperationType.QUERY:
                return _error(
                    "Only queries may be sent with GET.", "METHOD_NOT_ALLOWED", 405, media_type,
                    allow="POST",
                )  # fmt: skip
        try:
            identity = await resolve_identity(request)
        except IdentityError as error:
            return _error(str(error), "UNAUTHENTICATED", 401, media_type)
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
                ),
                request_id=request_id_var.get(),
                conn=conn,
            )
            if not settings.is_production and request.headers.get(EXECUTOR_HEADER) == "standard":
                # Development only: strawberry's field-by-field executor, the planner's oracle.
                body = await execute_standard(ctx, query, operation_name, variables)
            else:
                body = await execute(ctx, query, operation_name, variables)
    except RequestError as error:
        return _request_error(error.errors, media_type)
    except Exception:
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
    return _response(body, media_type)
