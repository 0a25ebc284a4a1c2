"""Team writes: locking, ancestry, insert and update, and team membership."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.progress import Connection
from db.queries import query
from db.unique_names import unique_name

# The schema's UNIQUE (organization_id, name): the last word on duplicate names, also when two
# requests pass the name check at the same time.
NAME_KEY = "team_organization_id_name_key"
EXTERNAL_ID_KEY = "team_external_id_key"


class TeamExternalIdTakenError(Exception):
    """Another team of the organisation has the external id (the unique index said so)."""


@contextmanager
def _unique_external_id() -> Iterator[None]:
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == EXTERNAL_ID_KEY:
            raise TeamExternalIdTakenError() from None
        raise


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: int
    name: str
    description: str | None
    parent_team_id: int | None
    external_id: str | None
    version: int


def _row(record: Any) -> TeamRow:
    return TeamRow(**dict(record))


async def lock_tree(conn: Connection, organization_id: int) -> None:
    """Hold, until the transaction ends, the right to move teams between parents."""
    await conn.execute(query("teams", "lock_tree"), organization_id)


async def lock(conn: Connection, organization_id: int, team_id: int) -> TeamRow | None:
    """The team, locked for an update."""
    record = await conn.fetchrow(query("teams", "lock_team"), organization_id, team_id)
    return None if record is None else _row(record)


async def share(conn: Connection, organization_id: int, team_id: int) -> TeamRow | None:
    """The team, key-share-locked: it exists until the transaction ends."""
    record = await conn.fetchrow(query("teams", "share_team"), organization_id, team_id)
    return None if record is None else _row(record)


async def ancestors(conn: Connection, organization_id: int, team_id: int) -> set[int]:
    """The ids of the team and of every team above it."""
    records = await conn.fetch(query("teams", "ancestors"), organization_id, team_id)
    return {r["id"] for r in records}


async def name_taken(
    conn: Connection, organization_id: int, name: str, except_id: int | None = None
) -> bool:
    """Whether a team other than ``except_id`` already has the name."""
    taken: bool = await conn.fetchval(
        query("teams", "name_taken"), organization_id, name, except_id
    )
    return taken


async def insert(
    conn: Connection,
    organization_id: int,
    *,
    name: str,
    description: str | None,
    parent_team_id: int | None,
    external_id: str | None = None,
) -> TeamRow:
    """Insert a team; raises NameTakenError (or TeamExternalIdTakenError) when the name (or
    external id) is taken after all."""
    with unique_name(NAME_KEY, name), _unique_external_id():
        record = await conn.fetchrow(
            query("teams", "insert_team"),
            organization_id,
            name,
            description,
            parent_team_id,
            external_id,
        )
    return _row(record)


async def update(
    conn: Connection,
    organization_id: int,
    team_id: int,
    *,
    name: str,
    description: str | None,
    parent_team_id: int | None,
    external_id: str | None,
) -> TeamRow:
    """Write a locked team's fields, bump its version; raises like insert."""
    with unique_name(NAME_KEY, name), _unique_external_id():
        record = await conn.fetchrow(
            query("teams", "update_team"),
            organization_id,
            team_id,
            name,
            description,
            parent_team_id,
            external_id,
        )
    return _row(record)


async def share_member(conn: Connection, organization_id: int, user_id: int) -> bool:
    """Whether the person is a member of the organisation (kept so until the transaction ends)."""
    found = await conn.fetchval(query("teams", "share_member"), organization_id, user_id)
    return found is not None


async def add_member(conn: Connection, organization_id: int, team_id: int, user_id: int) -> bool:
    """Add a member to a team; False when they already were one (nothing written)."""
    added = await conn.fetchval(
        query("teams", "add_team_member"), organization_id, team_id, user_id
    )
    return added is not None


async def remove_member(conn: Connection, organization_id: int, team_id: int, user_id: int) -> bool:
    """Remove a member from a team; False when they were not one."""
    removed = await conn.fetchval(
        query("teams", "remove_team_member"), organization_id, team_id, user_id
    )
    return removed is not None


async def external_id_taken(
    conn: Connection, organization_id: int, external_id: str, except_id: int | None = None
) -> bool:
    """Whether a team other than ``except_id`` already has the external id."""
    taken: bool = await conn.fetchval(
        query("teams", "external_id_taken"), organization_id, external_id, except_id
    )
    return taken


async def uses(conn: Connection, organization_id: int, team_id: int) -> tuple[int, int]:
    """How many objectives the team owns, and how many teams it holds."""
    record = await conn.fetchrow(query("teams", "team_uses"), organization_id, team_id)
    assert record is not None
    return int(record["objectives"]), int(record["sub_teams"])


class TeamInUseError(Exception):
    """Something that refers to the team appeared after the service checked."""


async def delete(conn: Connection, organization_id: int, team_id: int) -> None:
    try:
        await conn.execute(query("teams", "delete_team"), organization_id, team_id)
    except asyncpg.ForeignKeyViolationError:
        # A concurrent write gave the team an objective or a sub-team after `uses` counted.
        raise TeamInUseError() from None
