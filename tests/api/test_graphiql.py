"""The offline GraphiQL page: every asset is local, intact and served correctly.

Uses a bare Starlette app (not api/app.py) so the page and the static route are
tested on their own.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import AsyncIterator, MutableMapping
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from api import graphiql

EXTERNAL_CDNS = (
    "unpkg.com",
    "esm.sh",
    "cdn.jsdelivr.net",
    "fonts.googleapis",
    "fonts.gstatic",
    "cdnjs.cloudflare.com",
)
CONTENT_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


class _AssetRefs(HTMLParser):
    """Collects every <script src> and <link href> with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if (tag == "script" and "src" in attributes) or (tag == "link" and "href" in attributes):
            self.refs.append({"tag": tag, **attributes})


def _page(request: Request) -> HTMLResponse:
    return HTMLResponse(graphiql.graphiql_html())


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = Starlette(routes=[*graphiql.routes, Route("/", _page)])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as client:
        yield client


@pytest.fixture(scope="module")
def manifest() -> dict[str, dict[str, Any]]:
    data = json.loads((graphiql.STATIC_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    return {entry["file"]: entry for entry in data["assets"]}


async def _page_refs(client: httpx.AsyncClient) -> tuple[str, list[dict[str, str | None]]]:
    response = await client.get("/")
    assert response.status_code == 200
    parser = _AssetRefs()
    parser.feed(response.text)
    return response.text, parser.refs


async def test_page_references_only_local_assets_with_matching_integrity(
    client: httpx.AsyncClient, manifest: dict[str, dict[str, Any]]
) -> None:
    _, refs = await _page_refs(client)
    assets = [ref for ref in refs if ref.get("rel") != "icon"]
    assert {ref["tag"] for ref in assets} == {"script", "link"}
    # Every vendored file is used by the page, and nothing else is.
    urls = [ref.get("src") or ref.get("href") for ref in assets]
    assert sorted(url.rsplit("/", 1)[-1] for url in urls if url) == sorted(manifest)

    for ref, url in zip(assets, urls, strict=True):
        assert url is not None
        assert url.startswith("/graphiql/static/"), url
        assert ref["crossorigin"] is not None
        response = await client.get(url)
        assert response.status_code == 200, url
        name = url.removeprefix("/graphiql/static/")
        assert response.headers["content-type"] == CONTENT_TYPES[name[name.rindex(".") :]]
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        body_sri = _sri(response.content)
        assert body_sri == ref["integrity"] == manifest[name]["integrity"], url
        assert len(response.content) == manifest[name]["bytes"]


async def test_page_has_no_external_urls(client: httpx.AsyncClient) -> None:
    html, refs = await _page_refs(client)
    assert re.findall(r"https?://", html) == []
    links = [ref.get("href") or "" for ref in refs if ref["tag"] == "link"]
    assert all(href.startswith(("/", "data:")) for href in links), links


async def test_assets_reference_no_cdn(manifest: dict[str, dict[str, Any]]) -> None:
    for name in manifest:
        text = (graphiql.STATIC_DIR / name).read_text(encoding="utf-8")
        for cdn in EXTERNAL_CDNS:
            assert cdn not in text, f"{name} references {cdn}"
        if name.endswith(".css"):
            # Fonts must be inlined (data: URIs), never fetched.
            assert "@import" not in text
            urls = re.findall(r"url\(\s*['\"]?([^'\")]*)", text)
            assert all(url.startswith(("data:", "#")) or not url for url in urls), name


async def test_page_configures_endpoint_and_headers() -> None:
    html = graphiql.graphiql_html("/api/graphql")
    assert '"endpoint": "/api/graphql"' in html
    assert "application/graphql-response+json, application/json" in html
    assert "isHeadersEditorEnabled: true" in html
    assert "subscriptionUrl" in html
    assert graphiql.graphiql_html("/api/graphql") is html  # built once


def test_the_plan_tab_is_inlined_only_when_asked_for() -> None:
    with_plans = graphiql.graphiql_html(plans=True)
    assert "window.OkrqlPlan" in with_plans
    assert '"plans": true' in with_plans
    assert re.findall(r"https?://", with_plans) == []  # offline, like the rest of the page
    without = graphiql.graphiql_html()
    assert "window.OkrqlPlan" not in without
    assert '"plans": false' in without


async def test_endpoint_cannot_break_out_of_the_script() -> None:
    html = graphiql.graphiql_html("/x</script><script>alert(1)</script>")
    assert html.count("</script>") == graphiql.graphiql_html().count("</script>")


@pytest.mark.parametrize(
    "path",
    [
        "/graphiql/static/unknown.js",
        "/graphiql/static/MANIFEST.json",
        "/graphiql/static/vendor.sh",
        "/graphiql/static/LICENSES/react.LICENSE",
        "/graphiql/static/",
        "/graphiql/static",
        "/graphiql/static/../graphiql.py",
        "/graphiql/static/%2e%2e/graphiql.py",
        "/graphiql/static/..%2fgraphiql.py",
        "/graphiql/static/..%2f..%2fgraphiql.py",
    ],
)
async def test_unknown_and_traversal_paths_are_404(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert "immutable" not in response.headers.get("cache-control", "")


async def test_raw_traversal_path_is_404() -> None:
    """httpx normalises ``..`` away, so also send the raw path straight to the app."""
    app = Starlette(routes=graphiql.routes)
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    for raw in ("/graphiql/static/../graphiql.py", "/graphiql/static/..\\graphiql.py"):
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": raw,
            "raw_path": raw.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(b"host", b"test")],
            "server": ("test", 80),
            "client": ("127.0.0.1", 1234),
        }
        sent.clear()
        await app(scope, receive, send)
        assert sent[0]["status"] == 404, raw


def _request(method: str, accept: str | None, query: str = "") -> Request:
    headers = [] if accept is None else [(b"accept", accept.encode())]
    return Request(
        {
            "type": "http",
            "method": method,
            "path": "/graphql",
            "query_string": query.encode(),
            "headers": headers,
        }
    )


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("method", "accept", "query", "expected"),
    [
        ("GET", BROWSER_ACCEPT, "", True),
        ("HEAD", BROWSER_ACCEPT, "", True),
        ("GET", "text/html, application/json", "", True),
        ("GET", "application/json, text/html", "", False),
        ("GET", "application/json;q=0.5, text/html", "", True),
        ("GET", "text/html;q=0.5, application/graphql-response+json", "", False),
        ("GET", "text/html;q=0", "", False),
        ("GET", "*/*", "", False),
        ("GET", None, "", False),
        ("GET", BROWSER_ACCEPT, "query=%7B__typename%7D", False),
        ("GET", BROWSER_ACCEPT, "foo=bar", True),
        ("POST", BROWSER_ACCEPT, "", False),
    ],
)
def test_wants_graphiql(method: str, accept: str | None, query: str, expected: bool) -> None:
    assert graphiql.wants_graphiql(_request(method, accept, query)) is expected


async def test_assets_are_gzipped_for_clients_that_accept_it(
    client: httpx.AsyncClient, manifest: dict[str, dict[str, Any]]
) -> None:
    name = max(manifest, key=lambda n: manifest[n]["bytes"])
    zipped = await client.get(f"/graphiql/static/{name}", headers={"accept-encoding": "gzip"})
    plain = await client.get(f"/graphiql/static/{name}", headers={"accept-encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert zipped.num_bytes_downloaded < len(plain.content) / 2
    assert zipped.content == plain.content
