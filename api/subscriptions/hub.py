"""One LISTEN connection per API instance, fanning committed events out to its subscribers.

Every event row is announced on the `okrql_events` channel when its transaction commits
(migration 0009), so a subscriber connected to this instance hears of check-ins written
through any instance, and never of a change that was rolled back. For each event the hub
reads what filters need once (db/subscriptions.py), then each interested subscriber renders
its own selection under its own identity.

NOTIFY reaches only the connections listening when it is sent: while the LISTEN connection is
away (the database restarting, a network cut) announcements are lost. Events are rows, so
after reconnecting the hub reads the events it missed and delivers them in order before
anything heard since. It remembers the ids it delivered recently, so nothing is delivered
twice. Ids are handed out at insert and announced at commit, so an event may commit (while
the hub is away) after newer ones were heard: reading starts at the hub's floor, an event id
below which nothing can still commit, sampled every few seconds with the transactions then
running and raised once they have all ended. A gap it cannot fill (more
missed events of an organisation than `catch_up_limit`, or announcements dropped by a full
queue) ends that organisation's subscriptions with the code EVENTS_MISSED, for clients to
refetch and subscribe again rather than go on believing they missed nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
import orjson

from db.subscriptions import event_facts, event_horizon, missed_events
from db.tenancy import tenant_transaction

log = logging.getLogger(__name__)

CHANNEL = "okrql_events"
_RECONNECT_DELAYS = (0.2, 0.5, 1.0, 2.0, 5.0)
# How many delivered event ids the hub remembers, to deliver none twice.
_REMEMBERED = 10_000
# Seconds between samples of the event horizon (one small query per instance), and how many
# samples may wait for older transactions to end (a long one holds the floor down).
_SAMPLE_SECONDS = 2.0
_PENDING_SAMPLES = 100
EVENTS_MISSED = "EVENTS_MISSED"
MISSED_MESSAGE = (
    "Live events were missed while the server was away from the database, more than it"
    " replays: refetch, then subscribe again."
)


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

    async def missed(self, code: str, message: str) -> None:
        """End the subscription with a coded error: events it should have had are lost."""
        ...


class EventHub:
    def __init__(self, url: str, pool: asyncpg.Pool[Any], *, catch_up_limit: int = 1000) -> None:
        self._url = url
        self._pool = pool
        self._catch_up_limit = catch_up_limit
        self._subscribers: dict[int, set[Subscriber]] = defaultdict(set)
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=10_000)
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        self.listening = asyncio.Event()
        # Delivered (or queued) event ids, newest last; the set answers "seen?" in O(1).
        self._recent: deque[int] = deque()
        self._seen: set[int] = set()
        # A catch-up reads the events after this id; None before the first connection.
        self._floor: int | None = None
        # Samples (newest event id, xmax) waiting for the transactions older than xmax to end.
        self._pending: deque[tuple[int, int]] = deque(maxlen=_PENDING_SAMPLES)
        # The newest id forgotten from _seen: below it, duplicates could not be told apart.
        self._forgotten = 0
        # Announcements heard while catching up, delivered after the missed events.
        self._held: list[dict[str, Any]] | None = None
        self._endings: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._listen(), name="okrql-listen"),
            asyncio.create_task(self._dispatch(), name="okrql-dispatch"),
        ]

    async def stop(self) -> None:
        self._stopping.set()
        for task in [*self._tasks, *self._endings]:
            task.cancel()
        for task in [*self._tasks, *self._endings]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.organization_id].add(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers[subscriber.organization_id].discard(subscriber)

    def subscriber_count(self, organization_id: int) -> int:
        return len(self._subscribers.get(organization_id, ()))

    def subscription_total(self) -> int:
        return sum(len(subscribers) for subscribers in self._subscribers.values())

    def _heard(self, connection: Any, pid: int, channel: str, payload: object) -> None:
        announced = orjson.loads(str(payload))
        if self._held is not None:
            self._held.append(announced)
        else:
            self._offer(announced)

    def _offer(self, announced: dict[str, Any]) -> None:
        """Queue an event for delivery unless it was already delivered."""
        event_id = announced["event_id"]
        if event_id in self._seen:
            return
        try:
            self._queue.put_nowait(announced)
        except asyncio.QueueFull:
            log.error("event queue full: live subscribers of an organisation lose an event")
            self._end_all(announced["organization_id"], {announced["type"]})
            return
        self._seen.add(event_id)
        self._recent.append(event_id)
        if len(self._recent) > _REMEMBERED:
            forgotten = self._recent.popleft()
            self._seen.discard(forgotten)
            self._forgotten = max(self._forgotten, forgotten)

    def _end_all(self, organization_id: int, event_types: set[str]) -> None:
        ended = [
            s for s in self._subscribers.get(organization_id, ()) if s.event_types & event_types
        ]
        for subscriber in ended:
            self.unsubscribe(subscriber)
            task = asyncio.create_task(subscriber.missed(EVENTS_MISSED, MISSED_MESSAGE))
            self._endings.add(task)
            task.add_done_callback(self._endings.discard)

    async def _listen(self) -> None:
        """Keep one LISTEN connection open, reconnecting (with a bounded delay) when it drops,
        and catching up with what was committed while it was away."""
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
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _, lost=lost: lost.set())
            try:
                self._held = []
                await conn.add_listener(CHANNEL, self._heard)
                try:
                    await self._catch_up()
                finally:
                    held, self._held = self._held, None
                for announced in held:
                    self._offer(announced)
                attempt = 0
                self.listening.set()
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), _SAMPLE_SECONDS)
                    if not lost.is_set():
                        await self._sample()
                log.warning("the LISTEN connection was lost; reconnecting")
            except Exception as error:
                # Nothing heard meanwhile was remembered: the next catch-up reads it again.
                delay = _RECONNECT_DELAYS[min(attempt, len(_RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("cannot catch up with events (%s); retrying in %ss", error, delay)
                await asyncio.sleep(delay)
            finally:
                self.listening.clear()
                with contextlib.suppress(Exception):
                    await conn.close(timeout=2)

    async def _sample(self) -> None:
        """Raise the floor to the newest sample whose older transactions have all ended."""
        try:
            async with self._pool.acquire() as pooled:
                last_id, xmin, xmax = await event_horizon(pooled)
        except Exception as error:  # the floor stays where it is: a later sample moves it
            log.warning("cannot sample the event horizon (%s)", error)
            return
        self._pending.append((last_id, xmax))
        while self._pending and self._pending[0][1] <= xmin:
            ended, _ = self._pending.popleft()
            self._floor = max(self._floor or 0, ended)

    async def _catch_up(self) -> None:
        """Queue, in order, the events after the floor that were not delivered, for the
        organisations with subscribers."""
        if self._floor is None:
            # The first connection: no subscription was promised anything before it.
            async with self._pool.acquire() as pooled:
                self._floor, _, _ = await event_horizon(pooled)
            return
        # Below an id forgotten from _seen a replay could repeat an event: start above it.
        after_id = max(self._floor, self._forgotten)
        delivered = list(self._seen)
        missed: list[dict[str, Any]] = []
        for organization_id, subscribers in list(self._subscribers.items()):
            event_types = {t for s in subscribers for t in s.event_types}
            if not event_types:
                continue
            async with (
                self._pool.acquire() as pooled,
                tenant_transaction(pooled, organization_id, mode="read"),
            ):
                rows = await missed_events(
                    pooled, organization_id, after_id, event_types, delivered,
                    self._catch_up_limit + 1,
                )  # fmt: skip
            if len(rows) > self._catch_up_limit:
                log.warning(
                    "more events were missed than are replayed; ending subscriptions",
                    extra={"organization_id": organization_id},
                )
                self._end_all(organization_id, event_types)
                continue
            missed += [{"organization_id": organization_id, **row} for row in rows]
        if missed:
            log.info("catching up with events missed while not listening: %d", len(missed))
        for announced in sorted(missed, key=lambda a: int(a["event_id"])):
            self._offer(announced)

    async def _dispatch(self) -> None:
        while True:
            announced = await self._queue.get()
            try:
                await self._fan_out(announced)
            except Exception:
                # Its subscribers would otherwise go on believing they missed nothing.
                log.exception("could not deliver an event to live subscribers; ending them")
                self._end_all(announced["organization_id"], {announced["type"]})

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
