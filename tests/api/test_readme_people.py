"""The README's "People" walk-through runs as written, on a fresh database with the demo data."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from db.pool import create_pool
from services.demo import seed_demo
from tests.conftest import fresh_database
from tests.signin import signin_settings, token_for

README = Path(__file__).resolve().parents[2] / "README.md"


def _people_documents() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## People\n")
    section = text[start : text.index("\n## ", start)]
    blocks = re.findall(r"```graphql\n(.*?)```", section, flags=re.DOTALL)
    return [re.sub(r"^ {3}", "", block, flags=re.MULTILINE) for block in blocks]


@pytest.fixture(scope="module")
async def demo_http(server_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with fresh_database(server_url) as url:
        pool = await create_pool(url, min_size=1, max_size=1)
        async with pool.acquire() as conn:
            await seed_demo(conn)
        await pool.close()
        app = create_app(signin_settings(), url=url)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
                yield c


async def _send(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], bearer: str | None = None
) -> dict[str, Any]:
    headers = {"x-organization": "demo"}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"
    response = await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_the_people_walk_through_runs_as_written(demo_http: httpx.AsyncClient) -> None:
    teams, invite, objectives, people, hand, token = _people_documents()
    found = await _send(demo_http, teams, {})
    marketing = next(t["id"] for t in found["teams"]["nodes"] if t["name"] == "Marketing")

    invited = (await _send(demo_http, invite, {"marketing": marketing}))["inviteMember"]
    assert invited["userErrors"] == []
    assert invited["member"]["status"] == "INVITED"
    assert invited["member"]["teams"]["nodes"] == [{"name": "Marketing"}]

    nils = token_for("nils.holm@example.com")
    viewer = await _send(demo_http, "{ viewer { name role status } }", {}, nils)
    assert viewer["viewer"] == {"name": "Nils Holm", "role": "MEMBER", "status": "ACTIVE"}
    assert (await _send(demo_http, objectives, {}, nils))["objectives"]["nodes"]

    listed = await _send(demo_http, people, {})
    assert "Nils Holm" in [m["name"] for m in listed["members"]["nodes"]]
    leaving = await _send(
        demo_http,
        "{ members(first: 50, filter: {role: [MEMBER], status: [ACTIVE]}) { nodes { id name } } }",
        {},
    )
    someone = next(m["id"] for m in leaving["members"]["nodes"] if m["name"] != "Nils Holm")
    handed = await _send(demo_http, hand, {"leaving": someone, "nils": invited["member"]["id"]})
    assert handed["deactivateMember"]["userErrors"] == []
    assert handed["deactivateMember"]["member"]["status"] == "DEACTIVATED"

    # Nils makes a token for his script, which acts as him
    made = (await _send(demo_http, token, {}, nils))["createPersonalAccessToken"]
    assert made["userErrors"] == []
    assert made["personalAccessToken"]["scopes"] == ["CHECKINS_WRITE"]
    viewer = await _send(demo_http, "{ viewer { name } }", {}, made["secret"])
    assert viewer["viewer"] == {"name": "Nils Holm"}
