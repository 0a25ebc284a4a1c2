"""GraphQL subscriptions over WebSocket: the graphql-transport-ws protocol at /graphql.

The client authenticates in `connection_init` (its payload may carry `Authorization` and
`X-Organization`, as HTTP headers do; the upgrade request's own headers count too). Each
`subscribe` is validated like any request, must be one subscription field, and is then served
by the planner for every matching event the hub announces; its request errors carry the
codes of HTTP's (api/request_errors.py).

A browser's handshake from an Origin that is neither the server's own nor allowed (api/cors.py)
is refused (403). A message that is not a JSON object in a text frame (a binary frame, invalid
or too deeply nested JSON) closes the connection with 4400, as the protocol asks for invalid
messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError, OperationType
from graphql.execution.values import get_argument_values
from starlette.datastructures import Headers
from starlette.websockets import WebSocket, WebSocketDisconnect

from api import limits, request_errors
from api.cors import OriginPolicy, websocket_origin_allowed
from api.executor import (
    RequestError,
    coerce_variables,
    document_limits_of,
    prepare,
    select_operation,
)
from api.identity import IdentityError, resolve_graphql_identity
from api.settings import Settings
from api.subscriptions.hub import Event, EventHub
from db.planner.mapping import ReadContext
from db.planner.plan import OperationPlan, compile_operation
from db.planner.run import NoPayloadError
from db.planner.run import execute as run_plan
from db.tenancy import tenant_transaction
from schema.app_schema import schema
from schema.query import ORGANIZATION_KEY, ROOT_KEY, VIEWER_KEY
from schema.subscriptions.types import filter_problems
from services.identity import Identity

log = logging.getLogger(__name__)

SUBPROTOCOL = "graphql-transport-ws"
INIT_TIMEOUT_SECONDS = 10


class _InitRequest:
    """The upgrade request with the connection_init payload's headers on top, for the same
    authentication as HTTP requests."""

    def __init__(self, websocket: WebSocket, payload: dict[str, Any]) -> None:
        merged = {k.lower(): v for k, v in websocket.headers.items()}
        merged.update({str(k).lower(): str(v) for k, v in payload.items()})
        self.headers = Headers(merged)
        self.app = websocket.app
        self.query_params = websocket.query_params


@dataclass(eq=False)
class _Subscription:
    id: str
    organization_id: int
    event_types: frozenset[str]
    identity: Identity
    plan: OperationPlan
    variables: Any
    connection: _Connection

    async def deliver(self, event: Event) -> None:
        await self.connection.deliver(self, event)

    async def missed(self, code: str, message: str) -> None:
        # graphql-transport-ws: an `error` ends the operation (no `complete` follows it)
        if self.connection.subscriptions.pop(self.id, None) is not None:
            error = {"message": message, "extensions": {"code": code}}
            with contextlib.suppress(Exception):
                await self.connection.send({"id": self.id, "type": "error", "payload": [error]})


@dataclass(eq=False)
class _Connection:
    websocket: WebSocket
    identity: Identity
    hub: EventHub
    settings: Settings
    subscriptions: dict[str, _Subscription] = field(default_factory=dict)
    send_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: dict[str, Any]) -> None:
        # orjson, as for HTTP responses: rendered payloads keep dates and datetimes native
        async with self.send_lock:
            await self.websocket.send_text(orjson.dumps(message).decode())

    async def deliver(self, subscription: _Subscription, event: Event) -> None:
        identity = subscription.identity
        read = ReadContext(
            organization_id=identity.organization_id,
            user_id=identity.user_id,
            now=dt.datetime.now(dt.UTC),
            time_zone=identity.time_zone,
            # The same caller as over HTTP: viewerCan* fields and admin-only data answer for
            # them, not for nobody.
            actor=identity.actor,
        )
        root_row = {
            VIEWER_KEY: identity.user_id,
            ORGANIZATION_KEY: identity.organization_id,
            ROOT_KEY: 0,
        }
        pool = self.websocket.app.state.pool
        try:
            async with (
                pool.acquire() as conn,
                tenant_transaction(conn, identity.organization_id, mode="read"),
            ):
                result = await run_plan(
                    subscription.plan, conn, read, subscription.variables, root_row,
                    self.settings, event,
                )  # fmt: skip
        except NoPayloadError:
            return  # the event is outside this subscription's filter
        except GraphQLError as error:
            await self.send({"id": subscription.id, "type": "error", "payload": [error.formatted]})
            return
        if subscription.id in self.subscriptions:
            with contextlib.suppress(Exception):
                await self.send({"id": subscription.id, "type": "next", "payload": result})

    async def subscribe(self, message: dict[str, Any]) -> None:
        op_id = message.get("id")
        payload = message.get("payload") or {}
        if not isinstance(op_id, str) or not isinstance(payload, dict):
            await self.websocket.close(4400, "Invalid subscribe message")
            return
        if op_id in self.subscriptions:
            await self.websocket.close(4409, f"Subscriber for {op_id} already exists")
            return
        operation_name = payload.get("operationName")
        try:
            if not isinstance(payload.get("query"), str):
                raise RequestError([_bad_request("The payload needs a `query` string.")])
            if operation_name is not None and not isinstance(operation_name, str):
                raise RequestError([_bad_request("`operationName` must be a string.")])
            variables = payload.get("variables")
            if variables is not None and not isinstance(variables, dict):
                raise RequestError([_bad_request("`variables` must be an object.")])
            prepared = prepare(payload["query"], document_limits_of(self.settings))
            operation = select_operation(prepared, operation_name)
            if operation.operation is not OperationType.SUBSCRIPTION:
                raise RequestError(
                    request_errors.coded(
                        [GraphQLError("Only subscriptions are served here.")],
                        request_errors.OPERATION_NOT_SUPPORTED,
                    )
                )
            coerced = coerce_variables(operation, payload.get("variables"))
            cost = limits.query_cost(
                schema._schema, operation, prepared.fragments, coerced, self.settings.max_page_size
            )
            refused = self.admit(cost)
            if refused is not None:
                raise RequestError([refused])
            plan = compile_operation(schema._schema, operation, prepared.fragments, coerced.coerced)
            fetches = plan.root.fetches
            if len(fetches) != 1:
                raise RequestError(
                    request_errors.coded(
                        [GraphQLError("Subscribe to exactly one field.")],
                        request_errors.VALIDATION_FAILED,
                    )
                )
            fetch = fetches[0]
            arguments = get_argument_values(fetch.field_def, fetch.field_node, coerced)
            problems = filter_problems(arguments)
            if problems:
                raise RequestError(
                    [GraphQLError(p, extensions={"code": "BAD_USER_INPUT"}) for p in problems]
                )
        except RequestError as error:
            errors = [dict(e.formatted) for e in error.errors]
            await self.send({"id": op_id, "type": "error", "payload": errors})
            return
        event_types = fetch.mapping.event_types  # type: ignore[union-attr]
        subscription = _Subscription(
            op_id, self.identity.organization_id, event_types, self.identity, plan, coerced, self
        )
        self.subscriptions[op_id] = subscription
        self.hub.subscribe(subscription)

    def admit(self, cost: int) -> GraphQLError | None:
        """A subscription's start is priced and charged as a query over HTTP is (deliveries
        are not: they are the server's doing)."""
        return limits.admission_error(
            limits.bucket_of(self.websocket.app), self.identity, cost, self.settings.max_query_cost
        )

    def complete(self, op_id: Any) -> None:
        subscription = self.subscriptions.pop(op_id, None)
        if subscription is not None:
            self.hub.unsubscribe(subscription)

    def close_all(self) -> None:
        for op_id in list(self.subscriptions):
            self.complete(op_id)


def _bad_request(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": request_errors.BAD_REQUEST})


class InvalidMessageError(Exception):
    """A frame that is no graphql-transport-ws message: the connection closes with 4400."""


async def _receive(websocket: WebSocket) -> dict[str, Any]:
    """The next message: a JSON object in a text frame."""
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
    text = message.get("text")
    if text is None:
        raise InvalidMessageError("Binary frames are not accepted")
    try:
        # orjson stops at 1,024 levels of nesting, where the standard parser would recurse
        # until Python's limit and end the connection abnormally.
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise InvalidMessageError("Invalid message: not JSON, or nested too deeply") from None
    if not isinstance(value, dict):
        raise InvalidMessageError("Invalid message: not a JSON object")
    return value


async def graphql_ws_endpoint(websocket: WebSocket) -> None:
    policy: OriginPolicy = websocket.app.state.origin_policy
    if not websocket_origin_allowed(websocket.scope, policy):
        # Before accepting: the browser's handshake fails with 403.
        await websocket.close(4403, "Origin not allowed")
        return
    if SUBPROTOCOL not in websocket.scope.get("subprotocols", []):
        await websocket.close(4406, "Subprotocol not acceptable")
        return
    await websocket.accept(subprotocol=SUBPROTOCOL)
    try:
        init = await asyncio.wait_for(_receive(websocket), INIT_TIMEOUT_SECONDS)
    except InvalidMessageError as error:
        await websocket.close(4400, str(error))
        return
    except (TimeoutError, WebSocketDisconnect):
        with contextlib.suppress(Exception):
            await websocket.close(4408, "Connection initialisation timeout")
        return
    if init.get("type") != "connection_init":
        await websocket.close(4400, "Expected connection_init")
        return
    try:
        payload = init.get("payload") or {}
        if not isinstance(payload, dict):
            await websocket.close(4400, "Invalid connection_init payload")
            return
        init_request = _InitRequest(websocket, payload)
        identity = await resolve_graphql_identity(init_request)  # type: ignore[arg-type]
    except IdentityError:
        await websocket.close(4403, "Forbidden")
        return
    connection = _Connection(
        websocket, identity, websocket.app.state.hub, websocket.app.state.settings
    )
    await connection.send({"type": "connection_ack"})
    try:
        while True:
            message = await _receive(websocket)
            kind = message.get("type")
            if kind == "ping":
                await connection.send({"type": "pong"})
            elif kind == "pong":
                continue
            elif kind == "subscribe":
                await connection.subscribe(message)
            elif kind == "complete":
                connection.complete(message.get("id"))
            elif kind == "connection_init":
                await websocket.close(4429, "Too many initialisation requests")
                return
            else:
                await websocket.close(4400, f"Unexpected message type {kind!r}")
                return
    except InvalidMessageError as error:
        with contextlib.suppress(Exception):
            await websocket.close(4400, str(error))
    except WebSocketDisconnect:
        pass
    finally:
        connection.close_all()
