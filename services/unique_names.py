"""Names unique in an organisation (cycles, teams), for the use cases that create or rename.

The name is checked with the other rules, so a duplicate is reported beside them; a concurrent
request may still take it between the check and the write, and then the unique constraint
refuses the write (db/unique_names.py): the use case's savepoint is rolled back and the same
problem is reported, so a race looks like any other duplicate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from db.progress import Connection
from db.tenancy import tenant_transaction
from db.unique_names import NameTakenError
from domain.errors import DomainError, Problem

# db/<aggregate>.name_taken: whether a row other than `except_id` has the name.
NameTaken = Callable[[Connection, int, str, int | None], Awaitable[bool]]


@dataclass(frozen=True, slots=True)
class NameCheck:
    conn: Connection
    organization_id: int
    taken: NameTaken
    duplicate: Callable[[str], Problem]

    async def problems(self, name: str, except_id: int | None = None) -> list[Problem]:
        """The duplicate's problem when a row other than `except_id` has the name."""
        if await self.taken(self.conn, self.organization_id, name, except_id):
            return [self.duplicate(name)]
        return []


@asynccontextmanager
async def unique_names(
    conn: Connection,
    organization_id: int,
    taken: NameTaken,
    duplicate: Callable[[str], Problem],
) -> AsyncIterator[NameCheck]:
    """The use case's transaction, with its name check; a name the constraint refused after
    the check passed becomes `duplicate(name)`, as a DomainError."""
    try:
        async with tenant_transaction(conn, organization_id):
            yield NameCheck(conn, organization_id, taken, duplicate)
    except NameTakenError as taken_meanwhile:
        raise DomainError([duplicate(taken_meanwhile.name)]) from None
