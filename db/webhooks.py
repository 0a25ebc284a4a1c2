"""Webhook endpoints and deliveries (migration 0010; the outbox is the `event` table)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.progress import Connection
from db.queries import query


@dataclass(frozen=True, slots=True)
class ClaimedDelivery:
    """A delivery leased to one worker, with what it needs to send it."""

    organization_id: int
    delivery_id: int
    lease_token: uuid.UUID
    attempts: int  # including this one
    url: str
    secret: str
    event_id: int
    event_type: str
    subject_type: str
    subject_id: int
    actor_user_id: int | None
    before: Any
    after: Any
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at sending a delivery, as its history keeps it (webhook_delivery_attempt)."""

    started_at: dt.datetime
    duration_ms: int
    status_code: int | None  # None: no answer came
    error: str | None  # None: the receiver accepted it
    response_body: str | None  # the start of the answer's body, if it had one


async def create_endpoint(
    conn: Connection,
    organization_id: int,
    *,
    url: str,
    event_types: Sequence[str],
    secret: str,
    created_by: int | None,
) -> int:
    endpoint_id: int = await conn.fetchval(
        query("webhooks", "create_endpoint"),
        organization_id,
        url,
        list(event_types),
        secret,
        created_by,
    )
    return endpoint_id


@dataclass(frozen=True, slots=True)
class EndpointState:
    """What an update may change of an endpoint."""

    url: str
    event_types: tuple[str, ...]
    active: bool


async def update_endpoint(
    conn: Connection,
    organization_id: int,
    endpoint_id: int,
    *,
    url: str | None,
    event_types: Sequence[str] | None,
    active: bool | None,
) -> tuple[EndpointState, EndpointState] | None:
    """Change what is given (None keeps it): the endpoint before and after, or None when the
    organisation has no such endpoint."""
    row = await conn.fetchrow(
        query("webhooks", "update_endpoint"),
        organization_id,
        endpoint_id,
        url,
        None if event_types is None else list(event_types),
        active,
    )
    if row is None:
        return None
    before = EndpointState(row["old_url"], tuple(row["old_event_types"]), row["old_active"])
    return before, EndpointState(row["url"], tuple(row["event_types"]), row["active"])


async def delete_endpoint(conn: Connection, organization_id: int, endpoint_id: int) -> bool:
    """Delete an endpoint and its deliveries; False when the organisation has no such one."""
    deleted = await conn.fetchval(
        query("webhooks", "delete_endpoint"), organization_id, endpoint_id
    )
    return deleted is not None


async def claim(
    pool: asyncpg.Pool[Any], *, batch: int, lease_seconds: float
) -> list[ClaimedDelivery]:
    """Lease up to `batch` due deliveries of any organisation to the caller (one statement)."""
    rows = await pool.fetch(query("webhooks", "claim_deliveries"), batch, lease_seconds)
    return [ClaimedDelivery(**dict(r)) for r in rows]


async def record_attempt(
    conn: Connection, delivery: ClaimedDelivery, attempt: Attempt, *, retry_at: dt.datetime | None
) -> bool:
    """Record an attempt and the delivery's outcome: DELIVERED without an error, else retried
    at `retry_at` or FAILED for good when None. False when the lease was lost (another worker
    owns the delivery, and nothing was recorded)."""
    done = await conn.fetchval(
        query("webhooks", "record_attempt"),
        delivery.organization_id,
        delivery.delivery_id,
        delivery.lease_token,
        attempt.status_code,
        attempt.error,
        retry_at,
        attempt.started_at,
        attempt.duration_ms,
        attempt.response_body,
    )
    return done is not None


async def redeliver(conn: Connection, organization_id: int, delivery_id: int) -> bool | None:
    """Make a delivery due now with a fresh retry budget. None: no such delivery; False: it is
    being sent right now (left to that attempt)."""
    if await conn.fetchval(query("webhooks", "redeliver"), organization_id, delivery_id):
        return True
    exists: bool = await conn.fetchval(
        query("webhooks", "delivery_exists"), organization_id, delivery_id
    )
    return False if exists else None


async def outbox_state(conn: Connection) -> tuple[int, float]:
    """(deliveries waiting, seconds the oldest due one has waited) across organisations."""
    row = await conn.fetchrow(query("webhooks", "outbox_state"))
    assert row is not None
    return int(row["depth"]), float(row["lag_seconds"])
