"""The asyncpg connection pool, the codecs every connection uses, and database faults.

Every wait on the database is bounded (README "Faults"): connecting (`connect_timeout`),
waiting for a pooled connection (`acquire_timeout`, the default of every `acquire`, also the
pool's own `fetch*` helpers), and, set as server settings at connection start, each statement
(`statement_timeout`), each lock wait (`lock_timeout`) and a transaction left idle
(`idle_in_transaction_session_timeout`). `fault_of` tells the errors these produce, and those
of an unreachable server, from bugs, so the transport can answer them with a code.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import asyncpg
import orjson

log = logging.getLogger(__name__)


class DatabaseFault(StrEnum):
    """Why a request could not be served by the database (not a bug of the request)."""

    UNAVAILABLE = "DATABASE_UNAVAILABLE"  # unreachable, restarting, out of connections
    TIMEOUT = "TIMEOUT"  # a statement or lock wait over its time budget


# SQLSTATE classes/codes of a server that is unreachable, shutting down or starting up, or out
# of connection slots: retrying later may succeed.
_UNAVAILABLE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # connection refused / reset / unreachable
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.CannotConnectNowError,  # 57P03: starting up
    asyncpg.AdminShutdownError,  # 57P01
    asyncpg.CrashShutdownError,  # 57P02
    asyncpg.TooManyConnectionsError,  # 53300
    asyncpg.IdleInTransactionSessionTimeoutError,  # 25P03: the server closed the session
)
_TIMEOUT_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.QueryCanceledError,  # 57014: statement_timeout
    asyncpg.LockNotAvailableError,  # 55P03: lock_timeout
)


def fault_of(error: BaseException) -> DatabaseFault | None:
    """The database fault `error` (or an error it was raised from) is, else None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, _TIMEOUT_ERRORS):
            return DatabaseFault.TIMEOUT
        if isinstance(current, _UNAVAILABLE_ERRORS):
            return DatabaseFault.UNAVAILABLE
        if isinstance(current, TimeoutError):
            # Connecting, or waiting for a pooled connection, took too long.
            return DatabaseFault.UNAVAILABLE
        if isinstance(current, asyncpg.InterfaceError) and "connection" in str(current).lower():
            # "connection is closed", "cannot perform operation: another operation is in
            # progress" after a lost connection, and the like.
            return DatabaseFault.UNAVAILABLE
        current = current.__cause__ or current.__context__
    return None


async def _init_connection(conn: asyncpg.Connection[Any]) -> None:
    # numeric travels as text both ways: exact (no float rounding, no Decimal construction on the
    # hot read path) and already in the form the API's Decimal scalar serialises to.
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=str, schema="pg_catalog", format="text"
    )
    await conn.set_type_codec(
        "jsonb",
        encoder=lambda v: orjson.dumps(v).decode(),
        decoder=orjson.loads,
        schema="pg_catalog",
        format="text",
    )


if TYPE_CHECKING:
    _BasePool = asyncpg.Pool[asyncpg.Record]
else:
    _BasePool = asyncpg.Pool  # generic only in the type stubs


class Pool(_BasePool):
    """asyncpg's pool whose `acquire` waits at most `acquire_timeout` unless told otherwise."""

    def __init__(self, *args: Any, acquire_timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.acquire_timeout = acquire_timeout

    def acquire(
        self, *, timeout: float | None = None
    ) -> asyncpg.pool.PoolAcquireContext[asyncpg.Record]:
        return super().acquire(timeout=timeout if timeout is not None else self.acquire_timeout)


async def _keep_session(conn: asyncpg.Connection[Any]) -> None:
    """The pool's reset on release: nothing beyond asyncpg's own rollback of a transaction
    left open. okrql keeps no session state on pooled connections (settings are SET LOCAL or
    set_config(..., true), advisory locks are transaction-scoped, LISTEN has a connection of
    its own), so the default reset query (RESET ALL, UNLISTEN *, ...) would only cost every
    request one more round trip."""


def _milliseconds(seconds: float | None) -> str | None:
    return None if seconds is None else str(max(0, round(seconds * 1000)))


async def create_pool(
    url: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    role: str | None = None,
    connect_timeout: float = 5.0,
    acquire_timeout: float | None = None,
    statement_timeout: float | None = None,
    lock_timeout: float | None = None,
    idle_in_transaction_timeout: float | None = None,
    random_page_cost: float | None = None,
    lazy: bool = False,
) -> asyncpg.Pool[Any]:
    """A pool; with `role`, every connection acts as that role (set at connection start, so
    no request can run before it). Timeouts are in seconds;
    None keeps the server's default.

    With `lazy`, a server that cannot be reached now does not fail the call: the pool starts
    empty and connects on demand (requests meanwhile fail fast with a DATABASE_UNAVAILABLE
    fault); it keeps no idle floor then (asyncpg needs the floor connected at start).
    `random_page_cost` sets the planner's (Settings.random_page_cost says why).
    """
    settings = {"application_name": "okrql", "timezone": "UTC"}
    if role:
        settings["role"] = role
    for name, seconds in (
        ("statement_timeout", statement_timeout),
        ("lock_timeout", lock_timeout),
        ("idle_in_transaction_session_timeout", idle_in_transaction_timeout),
    ):
        value = _milliseconds(seconds)
        if value is not None:
            settings[name] = value
    if random_page_cost is not None:
        settings["random_page_cost"] = str(random_page_cost)

    def build(floor: int) -> Pool:
        return Pool(
            url,
            min_size=floor,
            max_size=max_size,
            max_queries=50000,
            max_inactive_connection_lifetime=300.0,
            init=_init_connection,
            reset=_keep_session,
            loop=None,
            connection_class=asyncpg.Connection,
            record_class=asyncpg.Record,
            server_settings=settings,
            timeout=connect_timeout,
            acquire_timeout=acquire_timeout,
        )

    try:
        return await build(min_size)
    except Exception as error:
        if not lazy or fault_of(error) is not DatabaseFault.UNAVAILABLE:
            raise
        log.warning("database unreachable at start (%s); connecting on demand", error)
        return await build(0)
