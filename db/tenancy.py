"""Binding a transaction to the request's organisation, for PostgreSQL row-level security.

Every tenant table has a policy `organization_id = okrql_organization_id()`, the function reading
the transaction-local setting `okrql.organization_id`. The setting is transaction-local so a
pooled connection can never carry one request's organisation into the next; unset, it reads
back as '' (or NULL), which the function turns into NULL, so nothing is visible.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from db.progress import Connection as AnyConnection

_savepoints = itertools.count(1)

_MODES = {
    "read": " ISOLATION LEVEL REPEATABLE READ READ ONLY",
    "write": "",
}


@asynccontextmanager
async def tenant_transaction(
    conn: AnyConnection,
    organization_id: int,
    *,
    mode: str = "write",
    savepoint: bool = True,
    generic_plans: bool = False,
) -> AsyncIterator[None]:
    """A transaction in which row-level security shows only `organization_id`'s rows.

    BEGIN and the setting travel in one round trip (the simple protocol runs both
    statements); the organisation id is formatted as an integer, never as text from a client.
    Inside a transaction already bound (a mutation document's), it is a savepoint, so a use
    case that fails leaves nothing behind while the document's transaction goes on. A use case
    that refuses input only before its first write may pass `savepoint=False` and save the
    two round trips: nothing of it exists to undo, and a failing statement fails the document.
    `generic_plans` makes the transaction's prepared statements use their generic plan
    (planned once per connection) instead of being planned again for every execution.
    """
    if conn.is_in_transaction() and not savepoint:
        yield
        return
    if conn.is_in_transaction():
        # asyncpg's own savepoints refuse a transaction it did not start, so these are spelled
        # out; the name is only ever okrql's counter.
        name = f"okrql_{next(_savepoints):d}"
        await conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            await conn.execute(f"ROLLBACK TO SAVEPOINT {name}")
            raise
        await conn.execute(f"RELEASE SAVEPOINT {name}")
        return
    # One SELECT sets both (transaction-local, as SET LOCAL would): a statement less to parse
    # and run on every request.
    begin = (
        f"BEGIN{_MODES[mode]};"
        f" SELECT set_config('okrql.organization_id', '{int(organization_id):d}', true)"
        + (", set_config('plan_cache_mode', 'force_generic_plan', true)" if generic_plans else "")
    )
    await conn.execute(begin)
    try:
        yield
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
