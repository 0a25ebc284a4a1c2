"""Prometheus metrics for operators: GraphQL requests and latency per operation, errors by
code, the connection pool, live subscriptions, and the webhook outbox's depth and lag.

Metrics span every organisation, so they are no organisation administrator's business:
`/metrics` answers only a bearer of OKRQL_METRICS_TOKEN (and 404 while it is unset). Each app
has its own registry (tests run many apps in one process).

Label values a client chooses are bounded: an operation name is kept for the first
`MAX_OPERATIONS` names seen, any later one counts as "other", so a client sending random
names cannot grow the registry without end.
"""

from __future__ import annotations

import contextvars
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from db.webhooks import outbox_state

MAX_OPERATIONS = 200
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class RequestFacts:
    """What a GraphQL request tells its metrics while it runs (api/graphql_http.py)."""

    operation: str = "-"
    kind: str = "-"
    codes: list[str] = field(default_factory=list)


current: contextvars.ContextVar[RequestFacts | None] = contextvars.ContextVar(
    "okrql_request_facts", default=None
)


def note_operation(name: str | None, kind: str) -> None:
    facts = current.get()
    if facts is not None:
        facts.operation, facts.kind = name or "anonymous", kind


def note_errors(errors: list[dict[str, Any]]) -> None:
    facts = current.get()
    if facts is not None:
        facts.codes.extend(str((e.get("extensions") or {}).get("code", "-")) for e in errors)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "okrql_graphql_requests", "GraphQL requests answered, by operation, kind and status.",
            ["operation", "kind", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "okrql_graphql_request_seconds", "Time to answer a GraphQL request.",
            ["operation", "kind"], buckets=_LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "okrql_graphql_errors", "Errors in GraphQL answers, by extensions.code.",
            ["code"], registry=self.registry,
        )  # fmt: skip
        self.pool = Gauge(
            "okrql_db_pool_connections", "Database connections of this instance's pool.",
            ["state"], registry=self.registry,
        )  # fmt: skip
        self.subscriptions = Gauge(
            "okrql_live_subscriptions", "Live subscriptions held by this instance.",
            registry=self.registry,
        )  # fmt: skip
        self.outbox_depth = Gauge(
            "okrql_webhook_outbox_depth", "Webhook deliveries waiting (all instances).",
            registry=self.registry,
        )  # fmt: skip
        self.outbox_lag = Gauge(
            "okrql_webhook_outbox_lag_seconds",
            "Age of the oldest webhook delivery that is due and not delivered (0: none).",
            registry=self.registry,
        )  # fmt: skip
        self.operations: set[str] = set()

    def label(self, operation: str) -> str:
        if operation in self.operations:
            return operation
        if len(self.operations) < MAX_OPERATIONS:
            self.operations.add(operation)
            return operation
        return "other"

    def observe(self, facts: RequestFacts, status: int, seconds: float) -> None:
        operation = self.label(facts.operation)
        self.requests.labels(operation, facts.kind, str(status)).inc()
        self.latency.labels(operation, facts.kind).observe(seconds)
        for code in facts.codes:
            self.errors.labels(code).inc()

    async def render(self, app: Any) -> bytes:
        """The exposition, with the gauges read now."""
        pool = app.state.pool
        size, idle = pool.get_size(), pool.get_idle_size()
        self.pool.labels("open").set(size)
        self.pool.labels("idle").set(idle)
        self.pool.labels("busy").set(size - idle)
        self.pool.labels("max").set(pool.get_max_size())
        self.subscriptions.set(app.state.hub.subscription_total())
        async with pool.acquire() as conn:
            depth, lag = await outbox_state(conn)
        self.outbox_depth.set(depth)
        self.outbox_lag.set(lag)
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Times every GraphQL request over HTTP and counts it with what it noted."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != "/graphql":
            await self.app(scope, receive, send)
            return
        facts = RequestFacts()
        token = current.set(facts)
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        try:
            await self.app(scope, receive, sending)
        finally:
            current.reset(token)
            self.metrics.observe(facts, status[0], time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    expected: str | None = request.app.state.settings.metrics_token
    if not expected:
        return Response(status_code=404)
    given = request.headers.get("authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {expected}".encode()):
        return Response(status_code=401, headers={"www-authenticate": 'Bearer realm="metrics"'})
    metrics: Metrics = request.app.state.metrics
    return Response(await metrics.render(request.app), media_type=CONTENT_TYPE_LATEST)
