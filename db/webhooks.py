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


async def mark_delivered(conn: Connection, delivery: ClaimedDelivery, status_code: int) -> bool:
    """Record success; False when the lease was lost (another worker owns the delivery)."""
    done = await conn.fetchval(
        query("webhooks", "mark_delivered"),
        delivery.organization_id,
        delivery.delivery_id,
        delivery.lease_token,
        status_code,
    )
    return done is not None


async def mark_failed_attempt(
    conn: Connection,
    delivery: ClaimedDelivery,
    *,
    status_code: int | None,
    error: str,
    retry_at: dt.datetime | None,
) -> bool:
    """Record a failed attempt: retried at `retry_at`, or FAILED for good when None."""
    done = await conn.fetchval(
        query("webhooks", "mark_failed_attempt"),
        delivery.organization_id,
        delivery.delivery_id,
        delivery.lease_token,
        status_code,
        error,
        retry_at,
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
