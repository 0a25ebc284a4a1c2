"""One LISTEN connection per API instance, fanning committed events out to its subscribers.

Every event row is announced on the `okrql_events` channel when its transaction commits
(migration 0009), so a subscriber connected to this instance hears of check-ins written
through any instance, and never of a change that was rolled back. For each event the hub
reads what filters need once (db/subscriptions.py), then each interested subscriber renders
its own selection under its own identity.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson

from db.subscriptions import event_facts
from db.tenancy import tenant_transaction

log = logging.getLogger(__name__)

CHANNEL = "okrql_events"
_RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)


@dataclass(frozen=True, slots=True)
class Event:
    organization_id: int
    event_id: int
    type: str
    subject_id: int
    facts: dict[str, Any]


class Subscriber(Protocol):
    organization_id: int
    event_types: frozenset[str]

    async def deliver(self, event: Event) -> None: ...


class EventHub:
    def __init__(self, url: str, pool: asyncpg.Pool[Any]) -> None:
        self._url = url
        self._pool = pool
        self._subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self._queue: asyncio.Queue[str] = asyncio.Queue(maxsize=10_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.listening = asyncio.Event()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="okrql-listen"),
            asyncio.create_task(self._dispatch(), name="okrql-dispatch"),
        ]

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.organization_id].add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.organization_id].discard(subscriber)

    def _heard(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        try:
            self._queue.put_nowait(str(payload))
        except asyncio.QueueFull:
            log.error("event queue full: an event was dropped for live subscribers")

    async def _listen(self) -> None:
        """Keep one LISTEN connection open, reconnecting (with a bounded delay) when it drops."""
        attempt = 0
        while not self._stopping.is_set():
            try:
                conn = await asyncpg.connect(self._url, timeout=5)
            except (OSError, asyncpg.PostgresError, TimeoutError) as error:
                delay = _RECONNECT_DELAYS[min(attempt, len(_RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("cannot LISTEN for events (%s); retrying in %ss", error, delay)
                await asyncio.sleep(delay)
                continue
            attempt = 0
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _, lost=lost: lost.set())
            try:
                await conn.add_listener(CHANNEL, self._heard)
                self.listening.set()
                await lost.wait()
                log.warning("the LISTEN connection was lost; reconnecting")
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)

    async def _dispatch(self) -> None:
        while True:
            payload = await self._queue.get()
            try:
                await self._fan_out(orjson.loads(payload))
            except Exception:
                log.exception("could not deliver an event to live subscribers")

    async def _fan_out(self, announced: dict[str, Any]) -> None:
        organization_id = announced["organization_id"]
        interested = [
            s
            for s in self._subscribers.get(organization_id, ())
            if announced["type"] in s.event_types
        ]
        if not interested:
            return
        async with (
            self._pool.acquire() as conn,
            tenant_transaction(conn, organization_id, mode="read"),
        ):
            facts = await event_facts(
                conn, organization_id, announced["type"], announced["subject_id"]
            )
        if facts is None:
            return
        event = Event(
            organization_id, announced["event_id"], announced["type"], announced["subject_id"],
            facts,
        )  # fmt: skip
        await asyncio.gather(*(s.deliver(event) for s in interested), return_exceptions=True)
