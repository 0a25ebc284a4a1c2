"""GraphQL over HTTP: media types, methods, request errors, health endpoints."""

from __future__ import annotations

import gc
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings

QUERY = "{ organization { name } }"
RESPONSE_TYPE = "application/graphql-response+json"


def headers(org: dict[str, Any], accept: str = RESPONSE_TYPE) -> dict[str, str]:
    return {"accept": accept, "x-organization": org["slug"]}


async def test_post_json_answers_with_graphql_response_json(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post("/graphql", json={"query": QUERY}, headers=headers(org))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(RESPONSE_TYPE)
    assert response.json()["data"] == {"organization": {"name": "Test AB"}}
    assert "errors" not in response.json()


async def test_plain_json_clients_get_application_json(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers=headers(org, "application/json")
    )
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["data"]["organization"]["name"] == "Test AB"


async def test_get_runs_a_query(http: httpx.AsyncClient, org: dict[str, Any]) -> None:
    response = await http.get("/graphql", params={"query": QUERY}, headers=headers(org))
    assert response.status_code == 200
    assert response.json()["data"]["organization"]["name"] == "Test AB"


@pytest.mark.parametrize(
    ("query", "message_part"),
    [
        ("{ organization { name }", "Syntax Error"),
        ("{ organization { nope } }", "Cannot query field 'nope'"),
        ("query A { organization { name } } query B { viewer { name } }", "operation name"),
    ],
)
async def test_request_errors_are_4xx_without_data(
    http: httpx.AsyncClient, org: dict[str, Any], query: str, message_part: str
) -> None:
    response = await http.post("/graphql", json={"query": query}, headers=headers(org))
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert message_part in body["errors"][0]["message"]


async def test_request_errors_stay_200_for_plain_json(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", json={"query": "{ nope }"}, headers=headers(org, "application/json")
    )
    assert response.status_code == 200
    assert "data" not in response.json()


async def test_variables_are_coerced_before_execution(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    query = "query ($id: ID!) { node(id: $id) { id } }"
    response = await http.post(
        "/graphql", json={"query": query, "variables": {"id": None}}, headers=headers(org)
    )
    assert response.status_code == 400
    assert "data" not in response.json()


async def test_other_content_types_are_refused(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", content=QUERY, headers={**headers(org), "content-type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_malformed_json_is_a_bad_request(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql",
        content=b"{not json",
        headers={**headers(org), "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


async def test_unacceptable_accept_header_is_406(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers=headers(org, "application/xml")
    )
    assert response.status_code == 406


async def test_an_unknown_organisation_is_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql",
        json={"query": QUERY},
        headers={"accept": RESPONSE_TYPE, "x-organization": "no-such-org"},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_every_response_carries_a_request_id(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers={**headers(org), "x-request-id": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"


async def test_graphiql_page_is_served_to_browsers(http: httpx.AsyncClient) -> None:
    response = await http.get("/graphql", headers={"accept": "text/html"})
    assert response.status_code == 200
    assert "graphiql" in response.text.lower()


async def test_health_and_readiness(http: httpx.AsyncClient) -> None:
    assert (await http.get("/healthz")).json() == {"status": "ok"}
    ready = await http.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ok"


@pytest.mark.parametrize("executor", ["planner", "standard"])
async def test_unexpected_errors_are_masked_and_logged_with_the_request_id(
    http: httpx.AsyncClient,
    demo_organization: int,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    executor: str,
) -> None:
    # given a bug deep in a derived field
    def broken(*_: Any) -> float:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("schema.objectives.types.expected_progress", broken)
    extra = {"x-okrql-executor": "standard"} if executor == "standard" else {}
    # when a client reads it
    response = await http.post(
        "/graphql",
        json={"query": "{ objectives(first: 1) { nodes { expectedProgress } } }"},
        headers={"accept": RESPONSE_TYPE, "x-organization": "demo", **extra},
    )
    # then it sees a coded, masked error with a request id that the logs carry
    error = response.json()["errors"][0]
    assert error["message"] == "Unexpected error."
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert "secret internals" not in response.text
    logged = [r for r in caplog.records if r.levelname == "ERROR" and r.exc_info]
    assert any(getattr(r, "request_id", None) == error["extensions"]["requestId"] for r in logged)


LARGE = "{ __schema { types { name description fields { name description } } } }"


async def test_large_answers_are_gzipped_for_clients_that_accept_it(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    zipped = await http.post(
        "/graphql", json={"query": LARGE}, headers={**headers(org), "accept-encoding": "gzip"}
    )
    plain = await http.post(
        "/graphql", json={"query": LARGE}, headers={**headers(org), "accept-encoding": "identity"}
    )
    assert zipped.headers["content-encoding"] == "gzip"
    # Vary also names Origin, which every answer varies on (api/cors.py).
    assert "Accept-Encoding" in [v.strip() for v in zipped.headers["vary"].split(",")]
    assert "content-encoding" not in plain.headers
    assert zipped.num_bytes_downloaded < len(plain.content) / 3
    assert zipped.json() == plain.json()
    assert "errors" not in plain.json()


async def test_small_answers_are_sent_as_they_are(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERY}, headers={**headers(org), "accept-encoding": "gzip"}
    )
    assert "content-encoding" not in response.headers
    assert response.json()["data"]["organization"]["name"] == "Test AB"


async def test_the_heap_built_at_startup_is_frozen_while_the_app_runs(database_url: str) -> None:
    """The cyclic collector skips what startup built (why: api/app.py), and gets it back when
    the app stops."""
    app = create_app(Settings(environment="development"), url=database_url)
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 0
        assert not any(o is app for o in gc.get_objects())  # frozen objects are not listed
    assert gc.get_freeze_count() == 0
    assert any(o is app for o in gc.get_objects())


async def test_the_app_connections_plan_with_the_configured_page_cost(database_url: str) -> None:
    """Settings.random_page_cost reaches every connection of the API's pool (the plans it
    changes: tests/db/test_planner_statements.py)."""
    app = create_app(Settings(environment="development", random_page_cost=1.5), url=database_url)
    async with app.router.lifespan_context(app), app.state.pool.acquire() as conn:
        assert await conn.fetchval("SHOW random_page_cost") == "1.5"
