"""An offline GraphiQL page: every asset is served by okrql itself.

strawberry's built-in page loads React, GraphiQL and the explorer plugin from
unpkg.com, which breaks without internet access or behind a firewall. This
module serves byte-identical copies of the same npm files (vendored into
``api/static/graphiql/`` by ``vendor.sh``, listed with their sha384 in
``MANIFEST.json``) and renders a page that references only those copies.
In development the page also has okrql's "Plan" tab (``static/plan-plugin.js``,
inlined), which shows each run's SQL statements and plan (api/plans.py).

The app wires it up as::

    if wants_graphiql(request):
        return HTMLResponse(graphiql_html("/graphql", plans=not production))
    ...
    app = Starlette(routes=[*graphiql.routes, ...])
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from api.compression import GZIP_LEVEL, GZIP_MINIMUM_BYTES

__all__ = ["STATIC_PREFIX", "graphiql_html", "routes", "wants_graphiql"]

STATIC_DIR: Final = Path(__file__).resolve().parent / "static" / "graphiql"
# okrql's own "Plan" tab (README "Plans you can see"), inlined into the page where plans can
# be shown: not a vendored asset, so not in the manifest.
PLAN_PLUGIN: Final = Path(__file__).resolve().parent / "static" / "plan-plugin.js"
STATIC_PREFIX: Final = "/graphiql/static"

# Served file names carry the package version, so a year-long immutable cache is
# safe: upgrading GraphiQL changes the URL instead of the bytes behind it.
_CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
_MEDIA_TYPES: Final = {".js": "text/javascript", ".css": "text/css"}

# Load order matters: the GraphiQL UMD build expects the React/ReactDOM globals,
# and the explorer plugin expects the GraphiQL global (it reuses its React and
# graphql-js copies via GraphiQL.React / GraphiQL.GraphQL).
_STYLESHEETS: Final = ("graphiql-3.8.3.min.css", "graphiql-plugin-explorer-1.0.2.css")
_SCRIPTS: Final = (
    "react-18.2.0.production.min.js",
    "react-dom-18.2.0.production.min.js",
    "graphiql-3.8.3.min.js",
    "graphiql-plugin-explorer-1.0.2.umd.js",
)

# The GraphQL-over-HTTP media type first: okrql answers with it (and proper
# status codes) when asked; plain JSON stays acceptable for older servers.
_ACCEPT: Final = "application/graphql-response+json, application/json"


@dataclass(frozen=True, slots=True)
class _Asset:
    name: str
    path: Path
    media_type: str
    integrity: str


def _sri(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode("ascii")


@functools.cache
def _assets() -> dict[str, _Asset]:
    """The servable assets by file name, read from MANIFEST.json.

    Each file is hashed once and checked against the manifest so that a damaged
    or hand-edited file fails loudly here instead of as a blank page (the
    browser refuses a script whose bytes do not match its integrity attribute).
    Only files listed in the manifest are ever served; everything else in the
    directory (vendor.sh, LICENSES/, the manifest itself) stays private.
    """
    manifest = json.loads((STATIC_DIR / "MANIFEST.json").read_text(encoding="utf-8"))
    assets: dict[str, _Asset] = {}
    for entry in manifest["assets"]:
        name = str(entry["file"])
        path = STATIC_DIR / name
        # Manifest names are plain file names; anything else would let the
        # manifest point outside the directory.
        if Path(name).name != name or path.suffix not in _MEDIA_TYPES:
            raise RuntimeError(f"GraphiQL manifest lists an unservable file: {name!r}")
        actual = _sri(path.read_bytes())
        if actual != entry["integrity"]:
            raise RuntimeError(
                f"GraphiQL asset {name} does not match MANIFEST.json "
                f"({actual} != {entry['integrity']}); re-run api/static/graphiql/vendor.sh"
            )
        assets[name] = _Asset(name, path, _MEDIA_TYPES[path.suffix], actual)
    missing = sorted(set(_STYLESHEETS + _SCRIPTS) - assets.keys())
    if missing:
        raise RuntimeError(f"GraphiQL assets missing from MANIFEST.json: {missing}")
    return assets


def _script_json(value: object) -> str:
    """JSON that is safe inside an inline <script> (no ``</script>`` breakout)."""
    return (
        json.dumps(value)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


_PAGE: Final = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="referrer" content="no-referrer">
    <title>okrql GraphiQL</title>
    <link rel="icon" href="data:,">
{stylesheets}
    <style>
      body {{ margin: 0; height: 100%; width: 100%; overflow: hidden; }}
      #graphiql {{ height: 100vh; display: flex; }}
      .graphiql-explorer-actions select {{ margin-left: 4px; }}
    </style>
  </head>
  <body>
    <div id="graphiql" class="graphiql-container">Loading GraphiQL&hellip;</div>
    <noscript>GraphiQL needs JavaScript.</noscript>
{scripts}
{plan_plugin}
    <script>
      (function () {{
        "use strict";
        var config = {config};
        // Resolve the endpoint against the page so a relative path works behind
        // any host or reverse-proxy prefix, then derive ws:/wss: from it for
        // subscriptions (graphql-transport-ws, served on the same path).
        var url = new URL(config.endpoint, window.location.href);
        var wsUrl = new URL(url.href);
        wsUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";
        wsUrl.hash = "";
        var fetcher = GraphiQL.createFetcher({{
          url: url.href,
          subscriptionUrl: wsUrl.href,
          // okrql does not stream multipart/mixed (@defer/@stream) responses,
          // so use the plain JSON fetcher and its exact Accept header.
          enableIncrementalDelivery: false,
          headers: {{ "content-type": "application/json", accept: config.accept }}
        }});
        var plugins = [GraphiQLPluginExplorer.explorerPlugin()];
        if (config.plans) {{
          fetcher = OkrqlPlan.withPlan(fetcher);
          plugins.push(OkrqlPlan.plugin);
        }}
        // A first query to run: the demo organisation's dashboard.
        var DEFAULT_QUERY = [
          "# okrql: objectives, their key results and the latest check-ins.",
          "{{",
          "  viewer {{ name role }}",
          "  objectives(first: 10, filter: {{rootsOnly: true}}) {{",
          "    totalCount",
          "    nodes {{",
          "      title status progress expectedProgress paceStatus",
          "      keyResults(first: 10) {{",
          "        nodes {{",
          "          title progress currentValue targetValue",
          "          lastCheckIn {{ value confidence measuredAt }}",
          "        }}",
          "      }}",
          "      children(first: 10) {{ nodes {{ title progress ownerTeam {{ name }} }} }}",
          "    }}",
          "  }}",
          "}}",
          ""
        ].join("\\n");
        function App() {{
          return React.createElement(GraphiQL, {{
            fetcher: fetcher,
            plugins: plugins,
            defaultEditorToolsVisibility: true,
            isHeadersEditorEnabled: true,
            // Headers often hold bearer tokens: keep them out of localStorage.
            shouldPersistHeaders: false,
            inputValueDeprecation: true,
            defaultQuery: DEFAULT_QUERY
          }});
        }}
        ReactDOM.createRoot(document.getElementById("graphiql"))
          .render(React.createElement(App));
      }})();
    </script>
  </body>
</html>
"""


@functools.lru_cache(maxsize=8)
def graphiql_html(endpoint: str = "/graphql", *, plans: bool = False) -> str:
    """The GraphiQL page for ``endpoint`` (relative or absolute URL), built once.

    Every <script>/<link> points at ``/graphiql/static/`` with an SRI hash, so
    the page works offline and a tampered asset is refused by the browser.
    With ``plans`` (development), the page has the "Plan" tab, inlined.
    """
    assets = _assets()

    def attrs(name: str) -> str:
        return f'integrity="{assets[name].integrity}" crossorigin="anonymous"'

    stylesheets = "\n".join(
        f'    <link rel="stylesheet" href="{STATIC_PREFIX}/{name}" {attrs(name)}>'
        for name in _STYLESHEETS
    )
    scripts = "\n".join(
        f'    <script src="{STATIC_PREFIX}/{name}" {attrs(name)}></script>' for name in _SCRIPTS
    )
    config = _script_json({"endpoint": endpoint, "accept": _ACCEPT, "plans": plans})
    plan_plugin = ""
    if plans:
        source = PLAN_PLUGIN.read_text(encoding="utf-8")
        if "</script" in source.lower():
            raise RuntimeError(f"{PLAN_PLUGIN} cannot be inlined: it closes its <script>")
        plan_plugin = f"    <script>\n{source}    </script>"
    return _PAGE.format(
        stylesheets=stylesheets, scripts=scripts, plan_plugin=plan_plugin, config=config
    )


async def _static_asset(request: Request) -> Response:
    asset = _assets().get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(
        asset.path,
        media_type=asset.media_type,  # Starlette appends "; charset=utf-8" for text/*
        headers={"Cache-Control": _CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )


# A single-segment route over an allow-list (not a StaticFiles mount): no
# directory listing, no traversal, and nothing outside MANIFEST.json is served.
routes: list[BaseRoute] = [
    Route(
        STATIC_PREFIX + "/{name}",
        _static_asset,
        methods=["GET", "HEAD"],
        name="graphiql_static",
        # Served compressed where the client accepts it, as /graphql's own answers are.
        middleware=[
            Middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)
        ],
    )
]


def _accept_quality(accept: str) -> tuple[float, float]:
    """The best q-values for text/html and for the GraphQL JSON media types.

    Only explicitly listed media types count: ``*/*`` (curl, fetch defaults)
    says nothing about preferring a page, so such clients get JSON. On a tie
    the earlier-listed type wins, via a tiny position-based tie-breaker.
    """
    html_q = json_q = 0.0
    for position, part in enumerate(accept.split(",")):
        media_type, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        if q == 0.0:
            continue
        weighted = q - position * 1e-6
        media_type = media_type.lower()
        if media_type == "text/html":
            html_q = max(html_q, weighted)
        elif media_type in ("application/json", "application/graphql-response+json"):
            json_q = max(json_q, weighted)
    return html_q, json_q


def wants_graphiql(request: Request) -> bool:
    """Whether to answer ``request`` with the GraphiQL page instead of GraphQL.

    True for a browser navigation: GET (or HEAD, its body-less twin) whose
    Accept header prefers text/html over JSON, without a ``query`` parameter
    (a GET with ``?query=`` is a GraphQL request, whatever it accepts).
    """
    if request.method not in ("GET", "HEAD") or "query" in request.query_params:
        return False
    html_q, json_q = _accept_quality(request.headers.get("accept", ""))
    return html_q > 0.0 and html_q > json_q
