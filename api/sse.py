"""GraphQL over Server-Sent Events: the graphql-sse protocol, at /graphql/stream.

Both modes of the protocol (https://github.com/enisdenjo/graphql-sse, PROTOCOL.md):

- Distinct connections: `POST /graphql/stream` (or `POST /graphql` with
  `Accept: text/event-stream`; a query or subscription may also come as `GET` with URL
  parameters) answers with an event stream of `next` events, each a GraphQL response, then
  `complete`, after which the stream ends. A subscription streams until the client goes away.
- Single connection: `PUT /graphql/stream` reserves a stream and answers `201` with its token;
  `GET /graphql/stream` with the token (`X-GraphQL-Event-Stream-Token` header, or `?token=`
  for EventSource, which cannot send headers) opens it; `POST /graphql/stream` with the token
  and an `extensions.operationId` runs an operation, answered `202` with its results on the
  stream as `next` and `complete` events carrying the id; `DELETE /graphql/stream?operationId=`
  with the token stops one.

Nothing is executed here. A query or mutation is answered by /graphql's own endpoint
(api/graphql_http.py: authentication, organisation header, limits, rate limit, executor,
error model), whose JSON answer becomes the stream's `next` event; a subscription is started
and fed as over WebSocket (api/subscriptions/protocol.py and the event hub), its start priced
and charged to the caller's rate limit as /graphql prices a query. What the HTTP
endpoint answers with a transport status (401, 403, 405, 413, 415, 429, 503, 504) is answered
the same way here, before any stream opens: EventSource and fetch clients see the status.
Request errors of a GraphQL document (unparsable, invalid) are `next` events in the distinct
mode (the protocol's rule: the stream agrees with the Accept header) and 4xx answers to the
operation's POST in the single-connection mode.

A stream starts with a comment and sends another every `OKRQL_EVENT_STREAM_KEEP_ALIVE`
seconds, so proxies keep it open; when the client goes away its subscriptions end and its
reservation is dropped. Reservations are per instance (behind a load balancer, route a token's
requests to one instance) and expire unopened after a minute.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
import types
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from typing import Any, cast

import orjson
from graphql import OperationType
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from api import limits
from api.executor import (
    RequestError,
    document_limits_of,
    prepare,
    select_operation,
)
from api.graphql_http import (
    GRAPHQL_RESPONSE,
    JSON,
    _error,
    _read_body,
    _read_params,
    graphql_endpoint,
    rate_limited_response,
)
from api.identity import IdentityError, credentials_in_url, resolve_graphql_identity
from api.settings import Settings
from api.subscriptions.protocol import _Connection
from services.identity import Identity

log = logging.getLogger(__name__)

PATH = "/graphql/stream"
EVENT_STREAM = "text/event-stream"
TOKEN_HEADER = "x-graphql-event-stream-token"
# The most messages waiting for one slow client; past it the stream ends (and its
# subscriptions with it) rather than holding memory for it.
_BACKLOG = 1000
# Reservations per instance, and how long one may wait to be opened.
_MAX_RESERVATIONS = 10_000
_RESERVATION_SECONDS = 60.0
# The HTTP statuses of /graphql that carry a GraphQL response: streamed in the distinct mode.
_GRAPHQL_STATUSES = frozenset({200, 400, 500})


class EventStream:
    """The events waiting for one SSE response, and the operations writing them."""

    def __init__(self, *, single: bool, owner: Hashable | None = None) -> None:
        self.single = single
        self.owner = owner
        self.opened = False
        self.created = time.monotonic()
        self.subscriptions: dict[str, _StreamConnection] = {}
        self.operations: set[str] = set()
        self._queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=_BACKLOG)
        self.closed = False

    def _put(self, chunk: str | None) -> None:
        if self.closed:
            return
        try:
            self._queue.put_nowait(chunk)
        except asyncio.QueueFull:
            log.warning("an event stream's client reads too slowly; ending the stream")
            self.close()

    def next(self, op_id: str, result: dict[str, Any]) -> None:
        data = {"id": op_id, "payload": result} if self.single else result
        self._put(f"event: next\ndata: {orjson.dumps(data).decode()}\n\n")

    def complete(self, op_id: str) -> None:
        self.operations.discard(op_id)
        # EventSource fires no listener for an event without a data field: it is sent empty.
        data = orjson.dumps({"id": op_id}).decode() if self.single else ""
        self._put(f"event: complete\ndata: {data}\n\n")
        if not self.single:
            self._put(None)

    def close(self) -> None:
        """End the stream: what is queued is still written, nothing more is accepted."""
        if not self.closed:
            self.closed = True
            with contextlib.suppress(asyncio.QueueFull):
                self._queue.put_nowait(None)

    def end_subscriptions(self) -> None:
        for connection in self.subscriptions.values():
            connection.close_all()
        self.subscriptions.clear()

    async def chunks(self, keep_alive: float) -> AsyncIterator[str]:
        """The stream's text: a comment first (headers reach the client at once), then each
        message, and a comment whenever `keep_alive` seconds pass without one."""
        yield ":\n\n"
        while not (self.closed and self._queue.empty()):
            try:
                # asyncio.timeout, not wait_for: on 3.11 wait_for may swallow the cancellation
                # of a client gone away when a message arrives at the same moment
                async with asyncio.timeout(keep_alive):
                    chunk = await self._queue.get()
            except TimeoutError:
                yield ":\n\n"
                continue
            if chunk is None:
                return
            yield chunk


class _StreamConnection(_Connection):
    """A subscription's sink on an event stream: the WebSocket connection's validation and
    rendering, with its graphql-transport-ws messages written as SSE events instead."""

    stream: EventStream
    starting: str | None
    refusal: list[Any] | None

    async def send(self, message: dict[str, Any]) -> None:
        op_id = str(message.get("id"))
        kind = message.get("type")
        if kind == "error" and op_id == self.starting:
            self.refusal = message["payload"]
            return
        if kind == "next":
            self.stream.next(op_id, message["payload"])
        elif kind == "error":
            # a subscription that cannot go on (EVENTS_MISSED): its errors, then complete
            self.stream.next(op_id, {"errors": message["payload"]})
            self.complete(op_id)
            self.stream.subscriptions.pop(op_id, None)
            self.stream.complete(op_id)

    async def start(self, op_id: str, params: dict[str, Any]) -> list[Any] | None:
        """Subscribe; the request errors refusing it, or None once it runs."""
        self.starting, self.refusal = op_id, None
        try:
            await self.subscribe({"id": op_id, "type": "subscribe", "payload": params})
        finally:
            self.starting = None
        return self.refusal


class _EventStreamResponse(StreamingResponse):
    """An event stream that ends its operations when the client goes away, noticed as soon
    as the server reports the disconnect (not only when a write fails)."""

    def __init__(self, stream: EventStream, keep_alive: float, on_close: Callable[[], None]):
        super().__init__(
            stream.chunks(keep_alive),
            media_type=EVENT_STREAM,
            headers={"cache-control": "no-cache", "x-accel-buffering": "no"},
        )
        self._on_close = on_close
        self._stream = stream

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        writer = asyncio.ensure_future(self.stream_response(send))

        async def client_gone() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            self._stream.close()
            writer.cancel()

        watcher = asyncio.ensure_future(client_gone())
        try:
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await writer
        finally:
            watcher.cancel()
            self._on_close()


def accepts_event_stream(request: Request) -> bool:
    """Whether the client asks for an event stream before any JSON type (graphql-sse's
    clients send `Accept: text/event-stream`)."""
    for part in request.headers.get("accept", "").split(","):
        media = part.split(";", 1)[0].strip().lower()
        if media == EVENT_STREAM:
            return True
        if media in (GRAPHQL_RESPONSE, JSON, "application/*"):
            return False
    return False


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _reservations(request: Request) -> dict[str, EventStream]:
    streams: dict[str, EventStream] | None = getattr(request.app.state, "event_streams", None)
    if streams is None:
        streams = request.app.state.event_streams = {}
    return streams


def _replay(request: Request, body: bytes, *, method: str, query_string: bytes) -> Request:
    """The request again, with its body read already, as /graphql's endpoint should see it:
    asking for application/graphql-response+json (its request errors keep their 4xx) without
    compression."""
    dropped = {b"accept", b"accept-encoding", b"content-length"}
    headers = [(k, v) for k, v in request.scope["headers"] if k not in dropped]
    headers += [(b"accept", GRAPHQL_RESPONSE.encode()), (b"content-length", b"%d" % len(body))]
    scope = {**request.scope, "headers": headers, "method": method, "query_string": query_string}
    delivered = False

    async def receive() -> Message:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(scope, receive)


def _without(request: Request, *names: str) -> bytes:
    kept = [(k, v) for k, v in request.query_params.multi_items() if k not in names]
    return urllib.parse.urlencode(kept).encode()


class _Operation:
    """One GraphQL request of a stream: its parameters, as /graphql reads them, and a way to
    have /graphql answer it."""

    def __init__(self, request: Request, body: bytes, query_string: bytes) -> None:
        self.request = request
        self.body = body
        self.query_string = query_string
        self.params: dict[str, Any] = {}

    async def read(self) -> Response | None:
        """Read the parameters; an HTTP error answer when they are malformed."""
        method = self.request.method if self.request.method == "GET" else "POST"
        replayed = _replay(self.request, self.body, method=method, query_string=self.query_string)
        params = await _read_params(replayed, JSON)
        if isinstance(params, Response):
            return params
        self.params = params
        return None

    def is_subscription(self) -> bool:
        query = self.params.get("query")
        name = self.params.get("operationName")
        if not isinstance(query, str) or not (name is None or isinstance(name, str)):
            return False
        try:
            prepared = prepare(query, document_limits_of(_settings(self.request)))
            operation = select_operation(prepared, name)
        except RequestError:
            return False  # /graphql answers it with its request error
        return operation.operation is OperationType.SUBSCRIPTION

    async def answer(self) -> tuple[Response, dict[str, Any] | None]:
        """/graphql's answer, and its GraphQL response when it carries one."""
        method = self.request.method if self.request.method == "GET" else "POST"
        replayed = _replay(self.request, self.body, method=method, query_string=self.query_string)
        response = await graphql_endpoint(replayed)
        if response.status_code not in _GRAPHQL_STATUSES:
            return response, None
        return response, orjson.loads(bytes(response.body))

    def operation_id(self) -> str | None:
        extensions = self.params.get("extensions")
        op_id = extensions.get("operationId") if isinstance(extensions, dict) else None
        return op_id if isinstance(op_id, str) and op_id else None


async def _identity(request: Request) -> Identity | Response:
    try:
        return await resolve_graphql_identity(request)
    except IdentityError as error:
        return _error(str(error), error.code, error.status, **error.headers)


def _refused(errors: list[Any]) -> Response:
    return Response(
        orjson.dumps({"errors": errors}),
        status_code=400,
        media_type=f"{GRAPHQL_RESPONSE}; charset=utf-8",
    )


async def _subscriber(
    request: Request, identity: Identity, stream: EventStream, op_id: str, params: dict[str, Any]
) -> Response | list[Any] | None:
    """Start a subscription writing to `stream`: a transport answer (429) or the errors
    refusing it, or None once it runs. It is priced and charged by the WebSocket's subscribe,
    as a query is; a caller out of points gets /graphql's 429 before any stream opens."""
    # The connection reads only `.app` of its WebSocket: a subscription outliving its POST
    # (single-connection mode) keeps the app, not the request.
    holder = cast("Any", types.SimpleNamespace(app=request.app))
    connection = _StreamConnection(
        holder, identity, request.app.state.hub, _settings(request)
    )  # fmt: skip
    connection.stream = stream
    refusal = await connection.start(op_id, params)
    if refusal is None:
        stream.subscriptions[op_id] = connection
        stream.operations.add(op_id)
        return None
    for error in refusal:
        if (error.get("extensions") or {}).get("code") == limits.RATE_LIMITED:
            return rate_limited_response(error, JSON)
    return refusal


def _open(request: Request, stream: EventStream, on_close: Callable[[], None]) -> Response:
    return _EventStreamResponse(stream, _settings(request).event_stream_keep_alive, on_close)


async def _read(request: Request) -> bytes | Response:
    if request.method == "GET":
        return b""
    body = await _read_body(request, _settings(request).max_body_bytes)
    if body is None:
        return _error("The request body is too large.", "REQUEST_TOO_LARGE", 413)
    return body


async def _operation(request: Request) -> _Operation | Response:
    """The request's operation with its parameters read, or the HTTP answer refusing them."""
    body = await _read(request)
    if isinstance(body, Response):
        return body
    operation = _Operation(request, body, _without(request, "token"))
    malformed = await operation.read()
    return operation if malformed is None else malformed


async def distinct(request: Request) -> Response:
    """Distinct-connections mode: one operation, its results as the response's events."""
    operation = await _operation(request)
    if isinstance(operation, Response):
        return operation
    stream = EventStream(single=False)
    if not operation.is_subscription():
        response, result = await operation.answer()
        if result is None:
            return response
        stream.next("", result)
        stream.complete("")
        return _open(request, stream, lambda: None)
    identity = await _identity(request)
    if isinstance(identity, Response):
        return identity
    refusal = await _subscriber(request, identity, stream, "", operation.params)
    if isinstance(refusal, Response):
        return refusal
    if refusal is not None:
        stream.next("", {"errors": refusal})
        stream.complete("")
    return _open(request, stream, stream.end_subscriptions)


def _token(request: Request) -> str | None:
    return request.headers.get(TOKEN_HEADER) or request.query_params.get("token")


def _sweep(streams: dict[str, EventStream]) -> None:
    """Drop reservations never opened in time."""
    deadline = time.monotonic() - _RESERVATION_SECONDS
    for token, stream in list(streams.items()):
        if not stream.opened and stream.created < deadline:
            stream.end_subscriptions()
            del streams[token]


async def _reserve(request: Request) -> Response:
    accept = request.headers.get("accept", "*/*").split(";", 1)[0].strip().lower()
    if accept not in ("*/*", "text/plain", ""):
        return Response(status_code=406)
    identity = await _identity(request)
    if isinstance(identity, Response):
        return identity
    streams = _reservations(request)
    _sweep(streams)
    if len(streams) >= _MAX_RESERVATIONS:
        return _error(
            "Too many event streams are open on this server; retry later.", "TOO_MANY_STREAMS",
            503, **{"retry-after": "5"},
        )  # fmt: skip
    token = secrets.token_urlsafe(24)
    streams[token] = EventStream(single=True, owner=limits.caller_key(identity))
    return PlainTextResponse(token, status_code=201)


def _not_found() -> Response:
    return _error("No event stream is reserved under this token.", "NOT_FOUND", 404)


async def _connect(request: Request, token: str) -> Response:
    streams = _reservations(request)
    stream = streams.get(token)
    if stream is None:
        return _not_found()
    if stream.opened:
        return _error("This event stream is open already.", "CONFLICT", 409)
    stream.opened = True

    def closed() -> None:
        stream.close()
        stream.end_subscriptions()
        streams.pop(token, None)

    return _open(request, stream, closed)


async def _owned_stream(request: Request, token: str) -> tuple[EventStream, Identity] | Response:
    """The caller's reserved stream: operations on it authenticate as any request does, and
    must come from whoever reserved it."""
    identity = await _identity(request)
    if isinstance(identity, Response):
        return identity
    _sweep(_reservations(request))
    stream = _reservations(request).get(token)
    if stream is None or stream.owner != limits.caller_key(identity) or stream.closed:
        return _not_found()
    return stream, identity


async def _execute(request: Request, token: str) -> Response:
    owned = await _owned_stream(request, token)
    if isinstance(owned, Response):
        return owned
    stream, identity = owned
    operation = await _operation(request)
    if isinstance(operation, Response):
        return operation
    op_id = operation.operation_id()
    if op_id is None:
        return _error(
            "Name the operation in `extensions.operationId`: its events on the stream carry it.",
            "BAD_REQUEST", 400,
        )  # fmt: skip
    if op_id in stream.operations:
        return _error(f"Operation {op_id!r} is already running.", "CONFLICT", 409)
    if operation.is_subscription():
        refusal = await _subscriber(request, identity, stream, op_id, operation.params)
        if isinstance(refusal, Response):
            return refusal
        if refusal is not None:
            return _refused(refusal)
        return Response(status_code=202)
    stream.operations.add(op_id)
    try:
        response, result = await operation.answer()
    finally:
        stream.operations.discard(op_id)
    if result is None or response.status_code != 200:
        return response
    stream.next(op_id, result)
    stream.complete(op_id)
    return Response(status_code=202)


async def _stop(request: Request, token: str) -> Response:
    owned = await _owned_stream(request, token)
    if isinstance(owned, Response):
        return owned
    stream, _ = owned
    op_id = request.query_params.get("operationId")
    if not op_id:
        return _error("Name the operation to stop: `?operationId=`.", "BAD_REQUEST", 400)
    connection = stream.subscriptions.pop(op_id, None)
    if connection is not None:
        connection.close_all()
        stream.complete(op_id)
    return Response(status_code=200)


def _credentials_in_url(request: Request) -> bool:
    # The stream token is the protocol's, for EventSource (which cannot send headers): a
    # one-stream ticket, not a credential of the API.
    return credentials_in_url(
        Request({**request.scope, "query_string": _without(request, "token")})
    )


async def stream_endpoint(request: Request) -> Response:
    if _credentials_in_url(request):
        return _error(
            "Credentials are not accepted in the URL: send `Authorization: Bearer <key>`.",
            "BAD_REQUEST", 400,
        )  # fmt: skip
    token = _token(request)
    if request.method == "PUT":
        return await _reserve(request)
    if token is None:
        if request.method not in ("GET", "POST"):
            return _error("Reserve a stream first (PUT), then name its token.", "NOT_FOUND", 404)
        if not (accepts_event_stream(request) or _accepts_anything(request)):
            return Response(status_code=406)
        return await distinct(request)
    if request.method == "GET":
        return await _connect(request, token)
    if request.method == "POST":
        return await _execute(request, token)
    return await _stop(request, token)


def _accepts_anything(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return not accept.strip() or any(
        part.split(";", 1)[0].strip() == "*/*" for part in accept.split(",")
    )


def with_event_streams(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """/graphql's endpoint, answering a client that asks for an event stream in the
    distinct-connections mode (graphql-sse clients pointed at /graphql)."""

    async def graphql_or_stream(request: Request) -> Response:
        if accepts_event_stream(request) and not credentials_in_url(request):
            return await distinct(request)
        return await endpoint(request)

    return graphql_or_stream


routes = [Route(PATH, stream_endpoint, methods=["GET", "POST", "PUT", "DELETE"])]
