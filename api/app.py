"""The Starlette application: /graphql, GraphiQL's assets, health endpoints."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from api import graphiql
from api.graphql_http import graphql_endpoint
from api.migrations import head_revision
from api.request_log import RequestIdMiddleware
from api.settings import Settings, get_settings
from db.embedded import embedded_database_url, stop_embedded
from db.health import migration_revision
from db.pool import create_pool

log = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded server's when it is unset."""
    return settings.database_url or embedded_database_url(settings.data_dir)


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    try:
        revision = await migration_revision(request.app.state.pool)
    except Exception as error:  # any failure to answer means "not ready"
        return JSONResponse({"status": "unavailable", "reason": type(error).__name__}, 503)
    if revision != head_revision():
        return JSONResponse(
            {"status": "migrations pending", "revision": revision, "head": head_revision()}, 503
        )
    return JSONResponse({"status": "ok", "revision": revision})


def create_app(settings: Settings | None = None, *, url: str | None = None) -> Starlette:
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        pool = await create_pool(
            url or database_url(settings),
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            role=settings.database_role or None,
        )
        app.state.pool = pool
        try:
            yield {}
        finally:
            await pool.close()
            stop_embedded()

    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *graphiql.routes,
        ],
        middleware=[Middleware(RequestIdMiddleware), Middleware(GZipMiddleware, minimum_size=4096)],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.identities = {}
    return app
