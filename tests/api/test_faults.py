"""Faults: a database that is down or slow gets a coded, retryable answer, never a hang.

Real components only: the test PostgreSQL, a row or table locked from another connection so a
request waits past its budget, a closed 127.0.0.1 port, and a TCP forwarder in front of the
test server that is stopped and restarted to take the database away and bring it back.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import socket
import time
import urllib.parse
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx

from api.app import create_app
from api.graphql_http import EXECUTOR_HEADER
from api.settings import Settings

CREATE_TEAM = """mutation($name: String!) {
  createTeam(input: {name: $name}) { team { name } userErrors { code } } }"""
CYCLES = "{ cycles(first: 5) { totalCount } }"
HEADERS = {"accept": "application/graphql-response+json"}


@contextlib.asynccontextmanager
async def running_app(url: str, **settings: Any) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings.setdefault("environment", "development")
    settings.setdefault("webhook_worker", False)
    app = create_app(Settings(**settings), url=url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as client:
            yield app, client


async def _post(client: httpx.AsyncClient, slug: str, query: str, **variables: Any) -> Any:
    return await client.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={**HEADERS, "x-organization": slug},
    )


def _code(response: httpx.Response) -> str:
    code: str = response.json()["errors"][0]["extensions"]["code"]
    return code


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_a_lock_wait_past_lock_timeout_is_a_coded_timeout_and_the_connection_stays_healthy(
    database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an app with a short lock budget and one pooled connection, and the organisation's
    # row locked by another transaction (creating a team must lock it: its foreign key)
    async with running_app(database_url, lock_timeout=0.2, pool_min_size=1, pool_max_size=1) as (
        app,
        client,
    ):
        async with pool.acquire() as blocker, blocker.transaction():
            await blocker.execute("SELECT 1 FROM organization WHERE id = $1 FOR UPDATE", org["id"])
            # when a mutation needs that lock
            started = time.monotonic()
            response = await _post(client, org["slug"], CREATE_TEAM, name="Growth")
            elapsed = time.monotonic() - started
        # then it fails fast with TIMEOUT (504), not an internal error, and nothing was written
        assert response.status_code == 504, response.text
        assert _code(response) == "TIMEOUT"
        assert response.json()["data"] is None
        assert elapsed < 3
        assert (
            await pool.fetchval("SELECT count(*) FROM team WHERE organization_id = $1", org["id"])
            == 0
        )
        # and the pool's only connection went back healthy: the next request succeeds on it
        response = await _post(client, org["slug"], CREATE_TEAM, name="Growth")
        assert response.status_code == 200, response.text
        assert response.json()["data"]["createTeam"]["team"] == {"name": "Growth"}
        async with app.state.pool.acquire() as conn:
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SHOW lock_timeout") == "200ms"


async def test_a_statement_over_statement_timeout_is_a_coded_timeout(
    database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given an app whose statements have 200 ms (lock waits unbounded, so the statement budget
    # is what ends the wait) and a table held by another transaction
    async with running_app(
        database_url, statement_timeout=0.2, lock_timeout=0, pool_min_size=1, pool_max_size=1
    ) as (_, client):
        async with pool.acquire() as blocker, blocker.transaction():
            await blocker.execute("LOCK TABLE cycle IN ACCESS EXCLUSIVE MODE")
            # when a query reads it
            response = await _post(client, org["slug"], CYCLES)
        # then: TIMEOUT, and the connection serves the next query
        assert response.status_code == 504, response.text
        assert _code(response) == "TIMEOUT"
        response = await _post(client, org["slug"], CYCLES)
        assert response.status_code == 200, response.text
        assert response.json()["data"] == {"cycles": {"totalCount": 0}}


async def test_an_unreachable_database_fails_fast_with_database_unavailable() -> None:
    # given an API whose database port has nothing listening (it starts all the same)
    url = f"postgresql://okrql@127.0.0.1:{_free_port()}/okrql"
    async with running_app(url, database_connect_timeout=2) as (_, client):
        # when a request comes in
        started = time.monotonic()
        response = await _post(client, "demo", CYCLES)
        elapsed = time.monotonic() - started
        # then it is a coded, retryable 503, quickly
        assert response.status_code == 503, response.text
        assert _code(response) == "DATABASE_UNAVAILABLE"
        assert response.headers["retry-after"] == "5"
        assert response.json()["errors"][0]["extensions"]["retryAfter"] == 5
        assert elapsed < 3
        # and readiness says so
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["code"] == "DATABASE_UNAVAILABLE"
        # plain application/json clients get the same status and code
        plain = await client.post("/graphql", json={"query": CYCLES})
        assert plain.status_code == 503
        assert _code(plain) == "DATABASE_UNAVAILABLE"


class Forwarder:
    """A TCP forwarder on 127.0.0.1 to the test PostgreSQL: stopping it closes every
    connection through it, as a database going away would."""

    def __init__(self, upstream_url: str) -> None:
        parsed = urllib.parse.urlsplit(upstream_url)
        socket_dir = urllib.parse.parse_qs(parsed.query).get("host", [None])[0]
        self.unix_path: str | None = None
        if socket_dir and socket_dir.startswith("/"):
            self.unix_path = sorted(glob.glob(f"{socket_dir}/.s.PGSQL.*[0-9]"))[0]
        self.host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 5432
        self.port = _free_port()
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.unix_path:
            up_reader, up_writer = await asyncio.open_unix_connection(self.unix_path)
        else:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.upstream_port)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await self.server.wait_closed()
        self.server = None

    def url(self, database_url: str) -> str:
        database = urllib.parse.urlsplit(database_url).path.lstrip("/")
        user = urllib.parse.urlsplit(database_url).username or "postgres"
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}?sslmode=disable"


async def test_the_api_recovers_by_itself_when_the_database_returns(
    database_url: str, org: dict[str, Any]
) -> None:
    forwarder = Forwarder(database_url)
    # given an API started while its database is unreachable
    async with running_app(
        forwarder.url(database_url), database_connect_timeout=2, pool_min_size=1
    ) as (_, client):
        assert (await _post(client, org["slug"], CYCLES)).status_code == 503
        # when the database comes back, the next request is served
        await forwarder.start()
        response = await _post(client, org["slug"], CYCLES)
        assert response.status_code == 200, response.text
        assert (await client.get("/readyz")).status_code == 200
        # when it goes away again (every open connection dropped), requests fail coded
        await forwarder.stop()
        for _ in range(2):
            response = await _post(client, org["slug"], CYCLES)
            assert response.status_code == 503, response.text
            assert _code(response) == "DATABASE_UNAVAILABLE"
        # and once it is back, the pool reconnects with no restart
        await forwarder.start()
        try:
            response = await _post(client, org["slug"], CYCLES)
            assert response.status_code == 200, response.text
            assert response.json()["data"] == {"cycles": {"totalCount": 0}}
        finally:
            await forwarder.stop()


async def test_the_standard_executor_answers_a_database_fault_with_its_code_too(
    database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    """Strawberry's executor (development's oracle, and introspection's path) turns a
    resolver's exception into a field error; a database fault must still reach the client as
    the planned path answers it, not as a masked internal error."""
    async with running_app(
        database_url, statement_timeout=0.2, lock_timeout=0, pool_min_size=1, pool_max_size=1
    ) as (_, client):
        async with pool.acquire() as blocker, blocker.transaction():
            await blocker.execute("LOCK TABLE cycle IN ACCESS EXCLUSIVE MODE")
            response = await client.post(
                "/graphql",
                json={"query": CYCLES},
                headers={**HEADERS, "x-organization": org["slug"], EXECUTOR_HEADER: "standard"},
            )
        assert response.status_code == 504, response.text
        assert _code(response) == "TIMEOUT"
