"""Webhook endpoints and their deliveries (admins only; README "Webhooks")."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from db.planner.mapping import Many
from schema import oracle
from schema.connections import Connection
from schema.fields import column, mapped, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime


@strawberry.enum(description="Where a webhook delivery stands.")
class WebhookDeliveryStatus(StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@strawberry.type(
    description="A URL events are POSTed to, signed with the endpoint's secret (shown only"
    " when it is created)."
)
class WebhookEndpoint(Node):
    id: strawberry.ID = node_id("WebhookEndpoint")
    url: str = column("url", "Where deliveries are POSTed.")
    event_types: list[str] = column(
        "event_types", 'The event types sent, e.g. "check_in.created"; "*" for all.'
    )
    active: bool = column("active", "Whether new events are delivered to it.")
    created_at: DateTime = column("created_at", "When the endpoint was registered.")

    @strawberry.field(
        description="Deliveries to this endpoint, newest first.",
        metadata=mapped(Many("webhook_endpoint.deliveries")),
    )
    async def deliveries(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[WebhookDelivery]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]


@strawberry.type(description="One event sent (or being sent) to one webhook endpoint.")
class WebhookDelivery(Node):
    id: strawberry.ID = node_id("WebhookDelivery")
    endpoint: WebhookEndpoint = to_one(
        "webhook_endpoint", "endpoint_id", "The endpoint it is sent to."
    )
    event_id: str = column(
        "message_id", "The `webhook-id` header: the same on every attempt, to de-duplicate."
    )
    event_type: str = column("event_type", 'The event\'s type, e.g. "check_in.created".')
    status: WebhookDeliveryStatus = column(
        "status", "PENDING until a receiver accepted it (DELIVERED) or retries ran out (FAILED)."
    )
    attempts: int = column(
        "attempts",
        "Attempts made since it was created or redelivered (its retry budget);"
        " `attemptHistory` lists every attempt.",
    )
    next_attempt_at: DateTime = column(
        "next_attempt_at", "When it is (or was) due to be sent next, while PENDING."
    )
    last_attempt_at: DateTime | None = column(
        "last_attempt_at", "When it was last sent; null if never."
    )
    last_status_code: int | None = column(
        "last_status_code", "The HTTP status of the last answer; null if none came."
    )
    last_error: str | None = column(
        "last_error", "Why the last attempt failed; null after a success."
    )
    delivered_at: DateTime | None = column(
        "delivered_at", "When a receiver accepted it (a 2xx answer); null until then."
    )
    created_at: DateTime = column("created_at", "When the event was recorded for the endpoint.")

    @strawberry.field(
        description="Every attempt to send it, newest first; a redelivery's attempts are"
        " added to those before it.",
        metadata=mapped(Many("webhook_delivery.attempts")),
    )
    async def attempt_history(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[WebhookDeliveryAttempt]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]


@strawberry.type(
    description="One try at sending a webhook delivery: when, how long, and what came back."
)
class WebhookDeliveryAttempt(Node):
    id: strawberry.ID = node_id("WebhookDeliveryAttempt")
    delivery: WebhookDelivery = to_one(
        "webhook_delivery", "delivery_id", "The delivery this attempt sent."
    )
    number: int = column(
        "attempt", "1 for the delivery's first attempt, counting on across redeliveries."
    )
    started_at: DateTime = column("started_at", "When the attempt started.")
    duration_ms: int = column(
        "duration_ms", "Milliseconds from the start until the answer, or the failure."
    )
    succeeded: bool = column("succeeded", "Whether the receiver accepted it (a 2xx answer).")
    status_code: int | None = column(
        "status_code", "The HTTP status of the answer; null when none came."
    )
    error: str | None = column(
        "error",
        "Why it failed (the HTTP status, a refused connection, a timeout, an address the URL"
        " policy refuses; at most 500 characters); null when it succeeded.",
    )
    response_body: str | None = column(
        "response_body",
        "The start of the answer's body (its first 1,024 bytes, as UTF-8); null when it had"
        " none or none came.",
    )
