"""The webhook delivery worker: due deliveries from the outbox, POSTed signed, retried.

Runs as an asyncio task inside `okrql serve` (OKRQL_WEBHOOK_WORKER) and as `okrql worker`;
any number of workers may share a database:

1. claim: one statement leases up to `webhook_batch_size` due deliveries of any organisation
   to this worker (db.webhooks.claim: FOR UPDATE SKIP LOCKED, so two workers never take the
   same delivery; the lease keeps it this worker's after that short transaction commits);
2. send: POST the event as JSON with the Standard Webhooks headers (api/webhooks/signature.py),
   within `webhook_timeout`; any 2xx is success, anything else (or no answer) a failure. When
   the URL policy refuses private hosts, only to public addresses (api/webhooks/egress.py);
3. record, in a transaction bound to the delivery's organisation (row-level security applies
   to the worker like to any request): DELIVERED, or a retry after exponential backoff, or
   FAILED after `webhook_max_attempts`, with the attempt appended to the delivery's history
   in the same statement — only while the lease is still this worker's.

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
from api.webhooks import egress, signature
from db import webhooks as db
from db.ids import encode_id
from db.pool import fault_of
from db.tenancy import tenant_transaction
from domain.webhooks import retry_delay

log = logging.getLogger(__name__)

# What is kept of a receiver's failure (its status line or the error), and of the start of
# its answer, for the admin to read (bounded: a receiver may answer with anything).
ERROR_MAX = 500
BODY_MAX = 1024
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


def _printable(text: str) -> str:
    # PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "\ufffd")


async def _excerpt(response: httpx.Response) -> str | None:
    """The first BODY_MAX bytes of the answer's body as text; None when it has none. The rest
    is never read; a body that breaks off keeps what came."""
    head = bytearray()
    with contextlib.suppress(httpx.HTTPError):
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= BODY_MAX:
                break
    if not head:
        return None
    # Cut at a byte count: a character split there reads as one replacement character.
    return _printable(bytes(head[:BODY_MAX]).decode("utf-8", "replace"))


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

    async def send(self, delivery: db.ClaimedDelivery) -> db.Attempt:
        """POST one delivery; the attempt as its history keeps it (its error None on success)."""
        body = orjson.dumps(payload(delivery))
        headers = signature.headers(
            delivery.secret, message_id(delivery.event_id), int(time.time()), body
        )
        timeout = self.settings.webhook_timeout
        started_at, clock = dt.datetime.now(dt.UTC), time.monotonic()
        status_code: int | None = None
        excerpt: str | None = None
        error: str | None = None
        try:
            # httpx bounds each read and write; this bounds the whole answer (a receiver
            # trickling bytes would otherwise hold the worker).
            async with asyncio.timeout(timeout):
                status_code, excerpt = await self._post(httpx.URL(delivery.url), body, headers)
        except TimeoutError:
            error = f"Timeout: no whole answer within {timeout:g} s"
        except egress.NotSentError as refused:
            error = str(refused)
        except (httpx.HTTPError, httpx.InvalidURL) as failure:
            error = f"{type(failure).__name__}: {failure}".rstrip(": ")
        duration_ms = round((time.monotonic() - clock) * 1000)
        if error is None and status_code is not None and not 200 <= status_code < 300:
            error = f"HTTP {status_code}"
        return db.Attempt(
            started_at=started_at,
            duration_ms=duration_ms,
            status_code=status_code,
            error=None if error is None else _printable(error)[:ERROR_MAX],
            response_body=excerpt,
        )

    async def _post(
        self, url: httpx.URL, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None]:
        """The answer's status and the start of its body; to public addresses only unless the
        policy allows private hosts."""
        if self.settings.webhook_url_policy.allow_private_hosts:
            return await self._post_to(url, body, headers, {})
        addresses = await egress.public_addresses(url)
        for address in addresses[:-1]:
            # Another address of the host may take the connection (say IPv4 where IPv6 is
            # unreachable); a timeout ends the attempt, whose time is bounded as a whole.
            with contextlib.suppress(httpx.ConnectError):
                return await self._post_pinned(url, address, body, headers)
        return await self._post_pinned(url, addresses[-1], body, headers)

    async def _post_pinned(
        self, url: httpx.URL, address: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, str | None]:
        target, host_header, extensions = egress.pinned(url, address)
        return await self._post_to(target, body, headers | host_header, extensions)

    async def _post_to(
        self, url: httpx.URL, body: bytes, headers: dict[str, str], extensions: dict[str, Any]
    ) -> tuple[int, str | None]:
        async with self.client.stream(
            "POST",
            url,
            content=body,
            headers=headers,
            extensions=extensions,
            timeout=self.settings.webhook_timeout,
        ) as response:
            return response.status_code, await _excerpt(response)

    async def deliver(self, delivery: db.ClaimedDelivery) -> None:
        await self.record(delivery, await self.send(delivery))

    async def record(self, delivery: db.ClaimedDelivery, attempt: db.Attempt) -> None:
        settings = self.settings
        async with (
            self.pool.acquire() as conn,
            tenant_transaction(conn, delivery.organization_id),
        ):
            retry_at = None
            if attempt.error is not None and delivery.attempts < settings.webhook_max_attempts:
                delay = retry_delay(
                    delivery.attempts,
                    base=settings.webhook_backoff_base,
                    factor=settings.webhook_backoff_factor,
                    maximum=settings.webhook_backoff_max,
                )
                retry_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=delay)
            kept = await db.record_attempt(conn, delivery, attempt, retry_at=retry_at)
        if not kept:
            log.warning(
                "webhook delivery %s: lease lost before its outcome was recorded",
                delivery.delivery_id,
            )
        elif attempt.error is not None:
            log.info(
                "webhook delivery %s attempt %s failed: %s",
                delivery.delivery_id,
                delivery.attempts,
                attempt.error,
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
