"""Cross-origin requests (CORS) and the Origin check of WebSockets, from one allow-list.

The allow-list (OKRQL_CORS_ORIGINS, README "Configuration") holds origins exactly as browsers
send them (`https://app.example.com`), or with `:*` for any port of that scheme and host
(`http://localhost:*`). Unset, development allows the local dev servers (http on localhost,
127.0.0.1 and [::1], any port) and production allows none.

- A preflight (OPTIONS with Access-Control-Request-Method) from an allowed origin is answered
  here, 204, with the methods, headers and max age; from any other origin, 403 without them.
- Other responses name an allowed Origin in Access-Control-Allow-Origin (never `*`), with
  Access-Control-Allow-Credentials only when OKRQL_CORS_ALLOW_CREDENTIALS is on. Every response
  says `Vary: Origin`, so no cache hands one origin's answer to another.
- A WebSocket whose browser sends an Origin that is neither the server's own nor allowed is
  refused at the handshake (403): a page elsewhere could otherwise subscribe with the
  visitor's credentials (in development, as the demo administrator). Clients that are not
  browsers send no Origin and are not concerned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# PUT and DELETE are graphql-sse's single-connection mode (reserve a stream, stop an
# operation); a route that serves neither answers them 405.
METHODS = "GET, POST, PUT, DELETE, OPTIONS"
# The request headers okrql reads (README "Authentication"), those clients send anyway, and
# graphql-sse's stream token.
ALLOWED_HEADERS = (
    "Accept, Authorization, Content-Type, X-Organization, X-Invitation-Token, X-Request-Id, "
    "X-GraphQL-Event-Stream-Token"
)
# What a page may read besides the CORS-safelisted response headers.
EXPOSED_HEADERS = "X-Request-Id, Retry-After"


@dataclass(frozen=True, slots=True)
class OriginPolicy:
    exact: frozenset[str]
    # (scheme://host) prefixes whose every port is allowed.
    any_port: tuple[str, ...]
    allow_credentials: bool = False
    max_age: int = 600

    @classmethod
    def of(
        cls, origins: Iterable[str], *, allow_credentials: bool = False, max_age: int = 600
    ) -> OriginPolicy:
        exact: set[str] = set()
        any_port: list[str] = []
        for origin in origins:
            origin = origin.strip().rstrip("/").lower()
            if origin.endswith(":*"):
                any_port.append(origin[:-2])
            elif origin:
                exact.add(origin)
        return cls(frozenset(exact), tuple(any_port), allow_credentials, max_age)

    def allows(self, origin: str) -> bool:
        origin = origin.lower()
        if origin in self.exact:
            return True
        for prefix in self.any_port:
            if origin == prefix:
                return True
            if origin.startswith(prefix + ":") and origin[len(prefix) + 1 :].isdigit():
                return True
        return False


def same_origin(origin: str, scope: Scope, headers: Mapping[bytes, bytes]) -> bool:
    """Whether `origin` is the server's own, as the client reached it (its Host header)."""
    host = headers.get(b"host", b"").decode("latin-1").lower()
    scheme = {"ws": "http", "wss": "https"}.get(scope.get("scheme", ""), scope.get("scheme"))
    return bool(host) and origin.lower() == f"{scheme}://{host}"


def websocket_origin_allowed(scope: Scope, policy: OriginPolicy) -> bool:
    headers = dict(scope["headers"])
    origin = headers.get(b"origin")
    if origin is None:
        return True
    text = origin.decode("latin-1")
    return policy.allows(text) or same_origin(text, scope, headers)


class CorsMiddleware:
    def __init__(self, app: ASGIApp, policy: OriginPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin_header: bytes | None = None
        preflight = False
        for name, value in scope["headers"]:
            if name == b"origin":
                origin_header = value
            elif name == b"access-control-request-method":
                preflight = scope["method"] == "OPTIONS"
        allowed = origin_header is not None and self.policy.allows(origin_header.decode("latin-1"))
        if preflight and origin_header is not None:
            await self._preflight(origin_header, allowed, send)
            return
        extra: list[tuple[bytes, bytes]] = [(b"vary", b"Origin")]
        if allowed:
            assert origin_header is not None
            extra += self._allow(origin_header)
            extra.append((b"access-control-expose-headers", EXPOSED_HEADERS.encode()))

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _allow(self, origin: bytes) -> list[tuple[bytes, bytes]]:
        headers = [(b"access-control-allow-origin", origin)]
        if self.policy.allow_credentials:
            headers.append((b"access-control-allow-credentials", b"true"))
        return headers

    async def _preflight(self, origin: bytes, allowed: bool, send: Send) -> None:
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        if allowed:
            headers += [
                *self._allow(origin),
                (b"access-control-allow-methods", METHODS.encode()),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", str(self.policy.max_age).encode()),
            ]
        await send(
            {"type": "http.response.start", "status": 204 if allowed else 403, "headers": headers}
        )
        await send({"type": "http.response.body", "body": b""})
