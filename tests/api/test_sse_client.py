"""The official graphql-sse client (npm) against a real okrql instance, in both of the
protocol's modes. Skipped when node and npm are missing or the package cannot be installed."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from tests.arrange import objective_tree
from tests.servers import serving

CLIENT = Path(__file__).resolve().parents[1] / "sse_client"
CHECK_IN = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) { checkIn { id } userErrors { code } } }"""


@pytest.fixture(scope="module")
def client_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the graphql-sse client")
    folder = tmp_path_factory.mktemp("sse-client")
    for name in ("package.json", "client.mjs"):
        shutil.copy(CLIENT / name, folder / name)
    try:
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefer-offline"],
            cwd=folder, check=True, capture_output=True, timeout=180,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"graphql-sse could not be installed: {error}")
    return folder


@pytest.mark.parametrize("mode", ["distinct", "single"])
async def test_the_graphql_sse_client_queries_and_subscribes(
    client_dir: Path, database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any], mode: str
) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        kr = encode_id(
            "KeyResult",
            await conn.fetchval(
                "SELECT min(id) FROM key_result WHERE organization_id = $1", org["id"]
            ),
        )
    app = create_app(Settings(environment="development"), url=database_url)
    async with serving(app) as port:
        process = await asyncio.create_subprocess_exec(
            "node", "client.mjs", f"http://127.0.0.1:{port}/graphql/stream", org["slug"], kr, mode,
            cwd=client_dir, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert process.stdout is not None
        try:

            async def line() -> Any:
                text = await asyncio.wait_for(process.stdout.readline(), 30)  # type: ignore[union-attr]
                assert text, (await process.stderr.read()).decode()  # type: ignore[union-attr]
                return json.loads(text)

            assert await line() == {
                "query": {
                    "data": {"cycles": {"totalCount": 1}},
                    "extensions": {"cost": {"requested": 1, "limit": 500000}},
                }
            }
            assert await line() == {"subscribing": True}
            for _ in range(300):
                if app.state.hub.subscriber_count(org["id"]):
                    break
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                response = await client.post(
                    "/graphql",
                    json={"query": CHECK_IN, "variables": {"input": {
                        "keyResultId": kr, "value": "5", "confidence": "ON_TRACK"}}},
                    headers={"x-organization": org["slug"]},
                )  # fmt: skip
                assert response.json()["data"]["createCheckIn"]["userErrors"] == []
            assert await line() == {
                "event": {"data": {"checkInCreated": {"checkIn": {"value": "5"}}}}
            }
            assert await asyncio.wait_for(process.wait(), 30) == 0
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        # the client's dispose closed its streams: nothing stays subscribed
        for _ in range(300):
            if app.state.hub.subscriber_count(org["id"]) == 0:
                break
            await asyncio.sleep(0.02)
        assert app.state.hub.subscriber_count(org["id"]) == 0
