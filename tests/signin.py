"""Acting as a given person or API key in tests: an app that verifies HS256 tokens, people
added to an organisation with a role, and a client that signs its requests.

Import `signin_http` into a test module to use it as a fixture.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from api.app import create_app
from api.settings import Settings
from db.organizations import add_member
from db.tenancy import tenant_transaction
from services.api_keys import issue_key
from tests.graphql import EXECUTOR_HEADER

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ISSUER = "https://id.test.example/"
AUDIENCE = "okrql-test"


def signin_settings(**overrides: Any) -> Settings:
    """Settings for HS256 sign-in with `token_for`'s tokens (the session's app has no JWT
    settings), without rate limits (tests send many requests as one caller)."""
    return Settings(
        environment="development",
        jwt_secret=SECRET,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        rate_limit_capacity=0,
        **overrides,
    )


@pytest.fixture(scope="module")
async def signin_http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app configured for HS256 sign-in."""
    app = create_app(signin_settings(), url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
            yield c


def token_for(email: str) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        # One subject per person: the first sign-in links it to the member by email.
        "sub": f"sub-{email}",
        "iat": now,
        "exp": now + dt.timedelta(minutes=10),
        "email": email,
        "email_verified": True,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def member(pool: asyncpg.Pool[Any], org: dict[str, Any], name: str, role: str) -> int:
    """A person with `role` in the organisation; their user id."""
    async with pool.acquire() as conn, conn.transaction():
        return await add_member(conn, org["id"], name, _email(org, name), role)


def _email(org: dict[str, Any], name: str) -> str:
    return f"{name.lower()}+{org['slug']}@test.example"


async def api_key(pool: asyncpg.Pool[Any], org: dict[str, Any], *scopes: str, **kwargs: Any) -> Any:
    """An issued API key (its `.secret` and `.id`)."""
    async with pool.acquire() as conn, tenant_transaction(conn, org["id"]):
        return await issue_key(
            conn, org["id"], name=f"key {' '.join(scopes)}", scopes=list(scopes), **kwargs
        )


class Caller:
    """GraphQL requests with a person's token or an API key."""

    def __init__(self, http: httpx.AsyncClient, org: dict[str, Any], bearer: str) -> None:
        self.http = http
        self.org = org
        self.bearer = bearer

    @classmethod
    def person(cls, http: httpx.AsyncClient, org: dict[str, Any], name: str) -> Caller:
        return cls(http, org, token_for(_email(org, name)))

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, standard: bool = False
    ) -> dict[str, Any]:
        headers = {
            "authorization": f"Bearer {self.bearer}",
            "x-organization": self.org["slug"],
            "accept": "application/graphql-response+json",
        }
        if standard:
            headers[EXECUTOR_HEADER] = "standard"
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
