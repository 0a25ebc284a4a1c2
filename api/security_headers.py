"""Headers every HTTP response carries.

- `X-Content-Type-Options: nosniff`: a browser takes each answer for the type it declares
  (JSON is never run as a script or rendered as HTML).
- `X-Frame-Options: DENY`: nothing of okrql is framed by another page (GraphiQL, which acts
  as its user, also says `frame-ancestors 'none'` in its own Content-Security-Policy).
- `Cache-Control: no-store` unless the route chose a policy of its own (GraphiQL's assets):
  API answers are per caller and per moment, and no shared cache may keep them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# The framing policy of an HTML page of okrql (GraphiQL).
FRAME_POLICY = "frame-ancestors 'none'"
_ALWAYS = ((b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"))
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [h for h in _ALWAYS if h[0] not in names]
                if b"cache-control" not in names:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
