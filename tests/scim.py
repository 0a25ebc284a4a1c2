"""A SCIM client for tests: requests under /scim/v2 with an organisation's SCIM key."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from tests.signin import api_key

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class Scim:
    def __init__(self, http: httpx.AsyncClient, secret: str) -> None:
        self.http = http
        self.secret = secret

    @classmethod
    async def of(cls, http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: Any) -> Scim:
        key = await api_key(pool, org, "scim")
        return cls(http, key.secret)

    async def __call__(
        self, method: str, path: str, body: Any = None, **headers: str
    ) -> httpx.Response:
        sent = {"authorization": f"Bearer {self.secret}", "content-type": "application/scim+json"}
        sent.update({k.replace("_", "-"): v for k, v in headers.items()})
        return await self.http.request(method, f"/scim/v2{path}", json=body, headers=sent)

    async def patch(self, path: str, *operations: dict[str, Any], **headers: str) -> httpx.Response:
        return await self(
            "PATCH", path, {"schemas": [PATCH], "Operations": list(operations)}, **headers
        )


def user(user_name: str, email: str | None = None, **more: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"schemas": [USER], "userName": user_name}
    body["emails"] = [{"value": email or user_name, "type": "work", "primary": True}]
    return body | more


def error_of(response: httpx.Response, status: int, scim_type: str | None = None) -> str:
    """The detail of a SCIM error answer, checked for its form."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/scim+json")
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type, body
    detail: str = body["detail"]
    return detail
