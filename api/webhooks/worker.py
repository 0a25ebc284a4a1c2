"""The webhook delivery worker: due deliveries from the outbox, POSTed signed, retried.

Runs as an asyncio task inside `okrql serve` (OKRQL_WEBHOOK_WORKER) and as `okrql worker`;
any number of workers may share a database:

1. claim: one statement leases up to `webhook_batch_size` due deliveries of any organisation
   to this worker (db.webhooks.claim: FOR UPDATE SKIP LOCKED, so two workers never take the
   same delivery; the lease keeps it this worker's after that short transaction commits);
2. send: POST the event as JSON with the Standard Webhooks headers (api/webhooks/signature.py),
   within `webhook_timeout`; any 2xx is success, anything else (or no answer) a failure;
3. record, in a transaction bound to the delivery's organisation (row-level security applies
   to the worker like to any request): DELIVERED, or a retry after exponential backoff, or
   FAILED after `webhook_max_attempts` — only while the lease is still this worker's.

A worker that dies between 1 and 3 leaves its lease, which expires after `webhook_lease`: the
delivery is then sent again. Delivery is therefore at least once, and receivers de-duplicate
on `webhook-id` (the event's id, the same on every attempt).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import time
from typing import Any

import asyncpg
import httpx
import orjson

from api.settings import Settings
from api.webhooks import signature
from db import webhooks as db
from db.pool import fault_of
from db.tenancy import tenant_transaction
from domain.webhooks import retry_delay
from schema.ids import encode_id

log = logging.getLogger(__name__)

# What is kept of a receiver's failure (its status line or the error), for the admin to read.
ERROR_MAX = 500
USER_AGENT = "okrql-webhooks/1"


def message_id(event_id: int) -> str:
    """The `webhook-id` of an event's deliveries: stable across retries and endpoints."""
    return f"evt_{event_id}"


def payload(delivery: db.ClaimedDelivery) -> dict[str, Any]:
    """The JSON body: the event, with Relay global ids for its subject and actor."""
    return {
        "id": message_id(delivery.event_id),
        "type": delivery.event_type,
        "occurredAt": delivery.occurred_at.isoformat(),
        "data": {
            "subject": {
                "type": delivery.subject_type,
                "id": encode_id(delivery.subject_type, delivery.subject_id),
            },
            "actor": (
                None
                if delivery.actor_user_id is None
                else {"type": "User", "id": encode_id("User", delivery.actor_user_id)}
            ),
            "before": delivery.before,
            "after": delivery.after,
        },
    }


class WebhookWorker:
    """Delivers due webhooks from `pool` until stopped."""

    def __init__(
        self,
        pool: asyncpg.Pool[Any],
        settings: Settings,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self._client = client
        self._own_client = client is None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.settings.webhook_timeout,
                follow_redirects=False,
                headers={"user-agent": USER_AGENT},
            )
        return self._client

    async def run_once(self) -> int:
        """Claim one batch of due deliveries and send them; how many were claimed."""
        claimed = await db.claim(
            self.pool,
            batch=self.settings.webhook_batch_size,
            lease_seconds=self.settings.webhook_lease,
        )
        if claimed:
            await asyncio.gather(*(self.deliver(d) for d in claimed))
        return len(claimed)

    async def send(self, delivery: db.ClaimedDelivery) -> tuple[int | None, str | None]:
        """POST one delivery: (status code, None) on success, else (status or None, error)."""
        body = orjson.dumps(payload(delivery))
        headers = signature.headers(
            delivery.secret, message_id(delivery.event_id), int(time.time()), body
        )
        try:
            response = await self.client.post(
                delivery.url, content=body, headers=headers, timeout=self.settings.webhook_timeout
            )
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"[:ERROR_MAX] or type(error).__name__
        if 200 <= response.status_code < 300:
            return response.status_code, None
        return response.status_code, f"HTTP {response.status_code}"

    async def deliver(self, delivery: db.ClaimedDelivery) -> None:
        status_code, error = await self.send(delivery)
        await self.record(delivery, status_code, error)

    async def record(
        self, delivery: db.ClaimedDelivery, status_code: int | None, error: str | None
    ) -> None:
        settings = self.settings
        async with (
            self.pool.acquire() as conn,
            tenant_transaction(conn, delivery.organization_id),
        ):
            if error is None:
                assert status_code is not None
                kept = await db.mark_delivered(conn, delivery, status_code)
            else:
                retry_at = None
                if delivery.attempts < settings.webhook_max_attempts:
                    delay = retry_delay(
                        delivery.attempts,
                        base=settings.webhook_backoff_base,
                        factor=settings.webhook_backoff_factor,
                        maximum=settings.webhook_backoff_max,
                    )
                    retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
                kept = await db.mark_failed_attempt(
                    conn, delivery, status_code=status_code, error=error, retry_at=retry_at
                )
        if not kept:
            log.warning(
                "webhook delivery %s: lease lost before its outcome was recorded",
                delivery.delivery_id,
            )
        elif error is not None:
            log.info(
                "webhook delivery %s attempt %s failed: %s",
                delivery.delivery_id,
                delivery.attempts,
                error,
            )

    async def run(self) -> None:
        """Poll until `stop`: a full batch is followed at once by the next, an empty or short
        one by a pause; a database fault is logged and waited out."""
        interval = self.settings.webhook_poll_interval
        while not self._stop.is_set():
            try:
                claimed = await self.run_once()
            except Exception as error:
                if fault_of(error) is None:
                    log.exception("webhook worker: unexpected error")
                else:
                    log.warning("webhook worker: database fault: %s", error)
                claimed = 0
            if claimed < self.settings.webhook_batch_size:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), interval)

    def start(self) -> asyncio.Task[None]:
        self._stop.clear()
        self._task = asyncio.create_task(self.run(), name="okrql-webhook-worker")
        return self._task

    async def stop(self) -> None:
        """Finish the batch in hand (its leases would otherwise delay it), then stop."""
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, self.settings.webhook_timeout + 5)
            except TimeoutError:
                log.warning("webhook worker did not stop in time; its leases will expire")
            self._task = None
        if self._own_client and self._client is not None:
            await self._client.aclose()
            self._client = None
