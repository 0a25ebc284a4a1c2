"""CORS and the WebSocket Origin check in a real browser: headless Chromium loads a page served
on another 127.0.0.1 port, which runs a query (a preflighted POST) and a subscription against a
live okrql and writes what it got into its DOM, read back over the DevTools protocol.

An allowed origin gets both answers; the same page from an origin okrql does not list
(localhost instead of 127.0.0.1) gets neither. Skipped, saying why, without Chromium
(Debian's `chromium`; .ci/run installs it when apt-get can).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import websockets

from api.app import create_app
from api.settings import Settings
from db.ids import encode_id
from tests.arrange import objective_tree
from tests.servers import free_port, serving

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (apt-get install chromium)"
)

QUERY = "{ organization { name } }"
SUBSCRIPTION = "subscription { checkInCreated { checkIn { value } } }"
CHECK_IN = """mutation ($input: CreateCheckInInput!) {
  createCheckIn(input: $input) { userErrors { code } } }"""

PAGE = """<!doctype html>
<html><head><title>running</title></head><body><pre id="result"></pre><script>
/*CONFIG*/
const headers = {"content-type": "application/json", "x-organization": organization};
const out = {};
const post = (query, variables) => fetch(api, {
  method: "POST", headers, body: JSON.stringify({query, variables})});
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function subscribe() {
  return new Promise((resolve) => {
    const finish = (value) => { out.subscription ??= value; resolve(); };
    setTimeout(() => finish({failed: "timeout"}), 15000);
    const ws = new WebSocket(api.replace(/^http/, "ws"), "graphql-transport-ws");
    ws.onerror = () => finish({failed: "error"});
    ws.onclose = (event) => finish({failed: "closed " + event.code});
    ws.onopen = () => ws.send(JSON.stringify(
      {type: "connection_init", payload: {"X-Organization": organization}}));
    ws.onmessage = async (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "next") { finish(data.payload); ws.close(); return; }
      if (data.type !== "connection_ack") { finish({failed: message.data}); return; }
      ws.send(JSON.stringify({id: "1", type: "subscribe", payload: {query: SUBSCRIPTION}}));
      // The protocol acknowledges no subscribe: check in until the event comes (bounded).
      for (let i = 0; i < 40 && out.subscription === undefined; i++) {
        await post(CHECK_IN, {input: {keyResultId: keyResult, value: "42", confidence: "ON_TRACK"}});
        await pause(250);
      }
    };
  });
}

(async () => {
  try { out.query = await (await post(QUERY)).json(); }
  catch (error) { out.query = {failed: String(error)}; }
  try { await subscribe(); }
  catch (error) { out.subscription = {failed: String(error)}; }
  document.getElementById("result").textContent = JSON.stringify(out);
  document.title = "done";
})();
</script></body></html>
"""


def _page(api: str, organization: str, key_result: str) -> bytes:
    config = {"api": api, "organization": organization, "keyResult": key_result,
              "QUERY": QUERY, "SUBSCRIPTION": SUBSCRIPTION, "CHECK_IN": CHECK_IN}  # fmt: skip
    constants = ", ".join(f"{name} = {json.dumps(value)}" for name, value in config.items())
    return PAGE.replace("/*CONFIG*/", f"const {constants};").encode()


@contextlib.asynccontextmanager
async def _page_server(port: int, page: bytes) -> AsyncIterator[None]:
    """Serves `page` to every GET on 127.0.0.1:`port`: the frontend's own origin."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\n"
                + f"content-length: {len(page)}\r\nconnection: close\r\n\r\n".encode()
                + page
            )
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", port)
    try:
        yield
    finally:
        server.close()
        await server.wait_closed()


async def _run_in_chromium(url: str) -> dict[str, Any]:
    """Loads `url` in headless Chromium and returns what the page wrote into its DOM."""
    assert CHROMIUM is not None
    # Chromium's helpers (renderers, crash handler) outlive the browser for a moment and keep
    # writing into the profile: they share its process group, which is ended as one.
    with tempfile.TemporaryDirectory(
        prefix="okrql-chromium-", ignore_cleanup_errors=True
    ) as profile:
        process = await asyncio.create_subprocess_exec(
            CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-dev-shm-usage", "--disable-extensions", "--remote-debugging-port=0",
            f"--user-data-dir={profile}", url,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            return await asyncio.wait_for(_read_result(Path(profile)), 90)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 10)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)


async def _read_result(profile: Path) -> dict[str, Any]:
    active = profile / "DevToolsActivePort"
    for _ in range(300):
        if active.exists() and len(active.read_text().splitlines()) == 2:
            break
        await asyncio.sleep(0.1)
    port = active.read_text().splitlines()[0]
    # The page's target: the browser lists it over HTTP, once it exists.
    target = None
    for _ in range(100):
        async with httpx.AsyncClient() as client:
            listed = (await client.get(f"http://127.0.0.1:{port}/json/list")).json()
        pages = [t for t in listed if t["type"] == "page"]
        if pages:
            target = pages[0]["webSocketDebuggerUrl"]
            break
        await asyncio.sleep(0.1)
    assert target is not None
    state: dict[str, Any] = {}
    async with websockets.connect(target, max_size=None) as devtools:
        for attempt in range(400):
            await devtools.send(json.dumps({
                "id": attempt, "method": "Runtime.evaluate",
                "params": {"expression": "JSON.stringify({title: document.title, url: location.href,"
                           " text: document.getElementById('result')?.textContent})"},
            }))  # fmt: skip
            while True:
                reply = json.loads(await devtools.recv())
                if reply.get("id") == attempt:
                    break
            state = json.loads(reply["result"]["result"].get("value") or "{}")
            if state.get("title") == "done":
                result: dict[str, Any] = json.loads(state["text"])
                return result
            await asyncio.sleep(0.1)
    raise AssertionError(f"the page did not finish: {state}")


async def test_a_page_on_an_allowed_origin_queries_and_subscribes_and_another_cannot(
    database_url: str, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    # given a key result to check in, okrql allowing the frontend at 127.0.0.1:<page port>
    async with pool.acquire() as conn, conn.transaction():
        await objective_tree(conn, org["id"], org["admin_id"], 1)
        kr = await conn.fetchval(
            "SELECT min(id) FROM key_result WHERE organization_id = $1", org["id"]
        )
    page_port = free_port()
    app = create_app(
        Settings(
            environment="development",
            webhook_worker=False,
            cors_origins=f"http://127.0.0.1:{page_port}",
        ),
        url=database_url,
    )
    async with serving(app) as api_port:
        page = _page(
            f"http://127.0.0.1:{api_port}/graphql", org["slug"], encode_id("KeyResult", kr)
        )
        async with _page_server(page_port, page):
            # when the page runs from the allowed origin
            allowed = await _run_in_chromium(f"http://127.0.0.1:{page_port}/")
            # and from one that is not listed
            refused = await _run_in_chromium(f"http://localhost:{page_port}/")
    # then the browser let the first read both answers
    assert allowed["query"] == {
        "data": {"organization": {"name": "Test AB"}},
        "extensions": {"cost": {"requested": 1, "limit": 500000}},
    }, allowed
    assert allowed["subscription"] == {"data": {"checkInCreated": {"checkIn": {"value": "42"}}}}
    # and the second neither: the fetch fails, the WebSocket handshake is refused
    assert "failed" in refused["query"], refused
    assert "failed" in refused["subscription"], refused
