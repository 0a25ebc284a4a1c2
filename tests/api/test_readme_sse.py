"""The README's Server-Sent Events examples run as written (curl, bash) against a real
instance on the demo data; only the address is the test server's."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.servers import serving

README = Path(__file__).resolve().parents[2] / "README.md"
pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)


def _examples() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Server-Sent Events (graphql-sse)\n")
    section = text[start : text.index("\n## ", start)]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


async def _bash(script: str, port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        "bash", "-c", script.replace("http://127.0.0.1:8000", f"http://127.0.0.1:{port}"),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


def _events(output: str) -> list[tuple[str, Any]]:
    events = []
    for block in output.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in fields:
            data = fields.get("data", "")
            events.append((fields["event"], json.loads(data) if data else None))
    return events


async def test_the_server_sent_events_examples_run_as_written(
    database_url: str, demo_organization: int
) -> None:
    query, subscription, single = _examples()
    app = create_app(Settings(environment="development"), url=database_url)
    async with serving(app) as port:
        # a query: one `next`, then `complete`, and the stream ends
        process = await _bash(query, port)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err
        [(name, result), complete] = _events(out.decode())
        assert name == "next"
        assert "errors" not in result
        assert result["data"]["cycles"]["nodes"]
        assert complete == ("complete", None)

        # a subscription: streams each check-in until the client goes away
        process = await _bash(subscription, port)
        try:
            assert process.stdout is not None
            assert await asyncio.wait_for(process.stdout.readline(), 30) == b":\n"
            for _ in range(300):
                if app.state.hub.subscriber_count(demo_organization):
                    break
                await asyncio.sleep(0.02)
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                listed = await client.post(
                    "/graphql",
                    json={
                        "query": "{ keyResults(first: 100) { nodes { id kind objective { status } } } }"
                    },
                )
                kr = next(
                    node["id"]
                    for node in listed.json()["data"]["keyResults"]["nodes"]
                    if node["kind"] == "NUMERIC" and node["objective"]["status"] == "ACTIVE"
                )
                written = await client.post(
                    "/graphql",
                    json={
                        "query": """mutation ($kr: ID!) { createCheckIn(input: {keyResultId: $kr,
                          value: "1", confidence: ON_TRACK}) { userErrors { code } } }""",
                        "variables": {"kr": kr},
                    },
                )
                assert written.json()["data"]["createCheckIn"]["userErrors"] == [], written.text
            lines: list[bytes] = []
            while len(lines) < 2:
                line = await asyncio.wait_for(process.stdout.readline(), 30)
                assert line, "the stream ended"
                if line.strip() and not line.startswith(b":"):  # not keep-alives
                    lines.append(line)
            assert lines[0] == b"event: next\n"
            payload = json.loads(lines[1].decode().removeprefix("data: "))
            assert payload["data"]["checkInCreated"]["checkIn"] == {"value": "1"}
        finally:
            process.kill()
            await process.wait()

        # the single connection: each operation's POST is accepted, the DELETE stops one
        process = await _bash(single, port)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0, err
        statuses = [line for line in out.decode().splitlines() if re.fullmatch(r"\d{3}", line)]
        assert statuses == ["202", "202", "200"]
