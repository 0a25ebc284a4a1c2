"""The Starlette application: /graphql, GraphiQL's assets, /scim/v2, health endpoints."""

from __future__ import annotations

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from api import graphiql, sse
from api.cors import CorsMiddleware, OriginPolicy
from api.graphql_http import graphql_endpoint
from api.metrics import Metrics, MetricsMiddleware, metrics_endpoint
from api.migrations import head_revision
from api.outages import OutageLog
from api.request_log import RequestIdMiddleware
from api.scim.routes import routes as scim_routes
from api.security_headers import SecurityHeadersMiddleware
from api.settings import Settings, get_settings
from api.subscriptions.hub import EventHub
from api.subscriptions.protocol import graphql_ws_endpoint
from api.webhooks.worker import WebhookWorker
from db.embedded import embedded_database_url, stop_embedded
from db.health import migration_revision
from db.pool import DatabaseFault, create_pool, fault_of

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
        return JSONResponse(
            {
                "status": "unavailable",
                "code": (fault_of(error) or DatabaseFault.UNAVAILABLE).value,
                "reason": type(error).__name__,
            },
            503,
        )
    # Which revision runs tells an attacker which fixes it has: the log says it, not the answer.
    if revision != head_revision():
        log.warning("not ready: migrations pending (at %s, head %s)", revision, head_revision())
        return JSONResponse({"status": "migrations pending"}, 503)
    return JSONResponse({"status": "ok"})


def create_app(
    settings: Settings | None = None, *, url: str | None = None, webhook_worker: bool = False
) -> Starlette:
    """The API; with `webhook_worker`, it also delivers webhooks (`okrql serve` asks for that
    unless OKRQL_WEBHOOK_WORKER is off)."""
    settings = settings or get_settings()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        # Lazy: a database that is down at start does not keep the API from starting; it
        # answers DATABASE_UNAVAILABLE until the database is back (README "Faults").
        resolved_url = url or database_url(settings)
        pool = await create_pool(
            resolved_url,
            min_size=settings.pool_min_size,
            max_size=settings.pool_max_size,
            role=settings.database_role or None,
            connect_timeout=settings.database_connect_timeout,
            acquire_timeout=settings.database_acquire_timeout,
            statement_timeout=settings.statement_timeout,
            lock_timeout=settings.lock_timeout,
            idle_in_transaction_timeout=settings.idle_in_transaction_timeout,
            random_page_cost=settings.random_page_cost,
            lazy=True,
        )
        app.state.pool = pool
        # Live subscriptions hear committed events through one LISTEN connection.
        hub = EventHub(resolved_url, pool, catch_up_limit=settings.live_catch_up_limit)
        await hub.start()
        app.state.hub = hub
        worker = WebhookWorker(pool, settings) if webhook_worker else None
        if worker is not None:
            worker.start()
        # What exists now (modules, the schema, settings, the pool) lives as long as the
        # process. Frozen, the cyclic collector stops walking it: a full collection, which a
        # large answer's tens of thousands of dicts set off every few requests, otherwise
        # walks all of it again: the dashboard took 28 ms of server CPU at concurrency 16
        # before, 18 after (bench/README.md).
        gc.collect()
        gc.freeze()
        try:
            yield {}
        finally:
            # Back to the collector, for a process that goes on without this app (tests).
            gc.unfreeze()
            if worker is not None:
                await worker.stop()
            await hub.stop()
            await pool.close()
            stop_embedded()

    # One allow-list for CORS and the WebSocket's Origin check.
    origin_policy = OriginPolicy.of(
        settings.allowed_origins,
        allow_credentials=settings.cors_allow_credentials,
        max_age=settings.cors_max_age,
    )
    metrics = Metrics()
    app = Starlette(
        routes=[
            # A client asking for text/event-stream gets GraphQL over SSE (api/sse.py).
            Route("/graphql", sse.with_event_streams(graphql_endpoint), methods=["GET", "POST"]),
            *sse.routes,
            WebSocketRoute("/graphql", graphql_ws_endpoint),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
            *graphiql.routes,
            # SCIM 2.0 provisioning from identity providers (README "SCIM provisioning").
            *scim_routes,
        ],
        # /graphql gzips its own answers and GraphiQL's assets their route (api/compression.py):
        # no compression middleware wraps every request.
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(SecurityHeadersMiddleware),
            Middleware(CorsMiddleware, policy=origin_policy),
            # Counted only where someone reads the metrics (about 8 us a request).
            *([Middleware(MetricsMiddleware, metrics=metrics)] if settings.metrics_token else []),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.identities = {}
    app.state.outages = OutageLog(settings.outage_log_interval)
    app.state.metrics = metrics
    app.state.origin_policy = origin_policy
    return app
