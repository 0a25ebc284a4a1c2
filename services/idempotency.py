"""Idempotent writes: the same key with the same input replays the first response.

An integration that retries a write (a timeout, a crash before it saw the answer) sends the
same `idempotencyKey`; okrql then answers as the first time and writes nothing. Keys belong to
the organisation and the caller (a person or an API key), so two integrations never collide,
and are kept at least `KEY_TTL`.

How it holds under concurrency: the write claims its key first, inserting the key row in its
own transaction. A concurrent duplicate's insert waits on the primary key until the first
transaction ends; after a commit it reads the stored response (a new statement, so a new
snapshot at READ COMMITTED) and replays it; after a rollback it claims the key itself.

What is stored is the payload row the mutation returned (entity ids and user errors), not the
rendered JSON: the rendered response depends on the selection, which a retry may change, and
the planner renders the entities by id like any payload. The created check-ins are append-only,
so their fields replay identically; related objects (the key result) show their current state.

A write refused with user errors (nothing written) stores nothing: its key row rolls back
with it, so a corrected retry may reuse the key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from db import idempotency as db
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.check_ins import idempotency_key_problems
from domain.errors import DomainError, UserErrorCode, raise_problems
from services.identity import Identity

# How long a key is remembered, at least: a replay needs the key row, a purge removes only
# rows older than this.
KEY_TTL = dt.timedelta(hours=24)


def caller_of(identity: Identity) -> str:
    """Whose keys these are: the API key, else the person."""
    if identity.api_key_id is not None:
        return f"key:{identity.api_key_id}"
    return f"user:{identity.user_id}"


def fingerprint(operation: str, input: dict[str, Any]) -> bytes:
    """SHA-256 of the operation and its input as canonical JSON (sorted keys), the key left out.

    The input is the coerced GraphQL input: equal inputs give equal bytes whatever their key
    order or variable spelling (decimals and dates as their text).
    """
    canonical = {k: v for k, v in input.items() if k != "idempotencyKey"}
    return hashlib.sha256(
        orjson.dumps([operation, canonical], option=orjson.OPT_SORT_KEYS, default=str)
    ).digest()


async def run_once(
    conn: Connection,
    identity: Identity,
    operation: str,
    key: str,
    input: dict[str, Any],
    perform: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """`perform()`'s payload, or the payload stored for `key` when this is a retry.

    Runs in a savepoint of the document's transaction: when `perform` raises (a refused write),
    the key row goes with it. Raises DomainError IDEMPOTENCY_KEY_REUSED when the key was used
    with another input (or another operation).
    """
    raise_problems(idempotency_key_problems(key))
    organization_id = identity.organization_id
    caller = caller_of(identity)
    digest = fingerprint(operation, input)
    async with tenant_transaction(conn, organization_id):
        # Twice at most: a key found live by the claim may reach its TTL and be purged by
        # another request before it is read; it is then claimed afresh.
        for _ in range(2):
            if await db.claim(conn, organization_id, caller, key, operation, digest, KEY_TTL):
                break
            stored = await db.stored(conn, organization_id, caller, key)
            if stored is None:
                continue
            if stored.fingerprint != digest:
                raise DomainError.of(
                    UserErrorCode.IDEMPOTENCY_KEY_REUSED,
                    ("input", "idempotencyKey"),
                    "This idempotency key was used with another input; use a new key for a"
                    " new write.",
                )
            # Another transaction's response is committed with its key; this transaction's
            # own (an earlier field of the same document) is stored before its savepoint ends.
            assert stored.response is not None
            return stored.response
        else:
            raise RuntimeError("idempotency key neither claimed nor found")
        response = await perform()
        await db.remember(conn, organization_id, caller, key, response)
        return response
