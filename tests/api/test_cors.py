"""CORS and the headers every answer carries (api/cors.py, api/security_headers.py), at the
HTTP level; tests/api/test_browser.py runs the same in a real browser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.cors import OriginPolicy
from api.settings import Settings
from tests.api.test_faults import running_app

QUERY = {"query": "{ organization { name } }"}
APP = "https://app.example.com"


def _vary(response: httpx.Response) -> list[str]:
    return [v.strip().lower() for v in response.headers.get("vary", "").split(",")]


def _preflight(origin: str) -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,authorization,x-organization",
    }


@pytest.fixture
async def configured(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose allow-list names one origin, with credentials."""
    async with running_app(
        database_url, cors_origins=f"{APP}, http://localhost:*", cors_allow_credentials=True,
        cors_max_age=120,
    ) as (_, client):  # fmt: skip
        yield client


async def test_a_preflight_from_an_allowed_origin_is_answered(
    configured: httpx.AsyncClient,
) -> None:
    response = await configured.options("/graphql", headers=_preflight(APP))
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == APP
    methods = set(response.headers["access-control-allow-methods"].split(", "))
    assert {"GET", "POST", "OPTIONS"} <= methods
    allowed = {
        h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")
    }
    assert {"content-type", "authorization", "x-organization"} <= allowed
    assert response.headers["access-control-max-age"] == "120"
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in _vary(response)


async def test_a_preflight_from_another_origin_gets_no_cors_headers(
    configured: httpx.AsyncClient,
) -> None:
    response = await configured.options("/graphql", headers=_preflight("https://evil.example"))
    assert response.status_code == 403
    assert not any(name.startswith("access-control-") for name in response.headers)
    assert "origin" in _vary(response)


async def test_an_allowed_origin_is_echoed_on_the_answer(
    configured: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await configured.post(
        "/graphql", json=QUERY, headers={"origin": APP, "x-organization": org["slug"]}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"organization": {"name": "Test AB"}}
    assert response.headers["access-control-allow-origin"] == APP
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "x-request-id" in response.headers["access-control-expose-headers"].lower()
    assert "origin" in _vary(response)


async def test_any_port_of_a_wildcard_origin_is_allowed_and_only_that(
    configured: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    headers = {"x-organization": org["slug"]}
    allowed = await configured.post(
        "/graphql", json=QUERY, headers={**headers, "origin": "http://localhost:5173"}
    )
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    for origin in (
        "http://localhost.evil.example",
        "https://localhost:5173",
        "http://localhost:5173x",
        "https://app.example.com.evil.example",
    ):
        refused = await configured.post(
            "/graphql", json=QUERY, headers={**headers, "origin": origin}
        )
        assert "access-control-allow-origin" not in refused.headers, origin
        assert "origin" in _vary(refused)


async def test_another_origin_gets_no_allow_origin(
    configured: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await configured.post(
        "/graphql",
        json=QUERY,
        headers={"origin": "https://evil.example", "x-organization": org["slug"]},
    )
    assert "access-control-allow-origin" not in response.headers
    assert "access-control-allow-credentials" not in response.headers
    assert "origin" in _vary(response)


async def test_credentials_are_allowed_only_when_configured(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    # the suite's development app: the local origins, no credentials
    response = await http.post(
        "/graphql",
        json=QUERY,
        headers={"origin": "http://127.0.0.1:3000", "x-organization": org["slug"]},
    )
    assert response.headers["access-control-allow-origin"] == "http://127.0.0.1:3000"
    assert "access-control-allow-credentials" not in response.headers


def test_development_allows_the_local_origins_and_production_none() -> None:
    development = OriginPolicy.of(Settings(environment="development").allowed_origins)
    for origin in ("http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8080"):
        assert development.allows(origin)
    assert not development.allows("https://app.example.com")
    assert not development.allows("http://localhost.example.com:3000")
    production = OriginPolicy.of(
        Settings(
            environment="production", jwt_secret="s" * 32, jwt_issuer="i", jwt_audience="a"
        ).allowed_origins
    )
    assert not production.allows("http://localhost:3000")
    configured = Settings(environment="production", cors_origins="https://app.example.com")
    assert OriginPolicy.of(configured.allowed_origins).allows("https://app.example.com")


async def test_production_without_a_list_answers_no_cross_origin_request(
    database_url: str,
) -> None:
    app = create_app(Settings(environment="production"), url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
            response = await client.options("/graphql", headers=_preflight("http://localhost:3000"))
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers


async def test_every_answer_says_nosniff_and_api_answers_no_store(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    answers = [
        await http.post("/graphql", json=QUERY, headers={"x-organization": org["slug"]}),
        await http.post("/graphql", json={"query": "{ nope }"}),
        await http.post("/graphql", content=b"nope", headers={"content-type": "text/plain"}),
        await http.get("/healthz"),
        await http.get("/readyz"),
        await http.get("/nowhere"),
        await http.get("/scim/v2/ServiceProviderConfig"),
    ]
    for response in answers:
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["cache-control"] == "no-store", response.url


async def test_graphiql_may_not_be_framed(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_graphiql_assets_keep_their_cache_policy(http: httpx.AsyncClient) -> None:
    page = await http.get("/graphql", headers={"accept": "text/html"})
    asset = next(
        part.split('"')[0] for part in page.text.split('src="')[1:] if part.startswith("/")
    )
    response = await http.get(asset)
    assert response.status_code == 200
    assert response.headers["cache-control"] != "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_readiness_does_not_tell_the_migration_revision(http: httpx.AsyncClient) -> None:
    response = await http.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
