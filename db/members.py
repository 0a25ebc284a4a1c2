"""Member and invitation writes: memberships, their status and profile, invitations, and the
ownership a deactivation transfers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.progress import Connection
from db.queries import query

# The schema's unique indexes (0017): the last word on duplicates, also when two requests pass
# the check at the same time.
EMAIL_KEY = "membership_email_key"
EXTERNAL_ID_KEY = "membership_external_id_key"


class DuplicateMemberError(Exception):
    """A unique index refused the write: `constraint` says which."""

    def __init__(self, constraint: str) -> None:
        super().__init__(constraint)
        self.constraint = constraint


@dataclass(frozen=True, slots=True)
class MemberRow:
    user_id: int
    name: str
    email: str
    role: str
    status: str
    external_id: str | None
    version: int


@dataclass(frozen=True, slots=True)
class InvitationRow:
    id: int
    user_id: int
    email: str
    role: str
    team_ids: list[int]
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    revoked_at: dt.datetime | None
    send_count: int


def _member(record: Any) -> MemberRow | None:
    return None if record is None else MemberRow(**dict(record))


@contextmanager
def unique_membership() -> Iterator[None]:
    """Raise DuplicateMemberError, naming the index, when the write inside violates one of
    membership's unique indexes."""
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        raise DuplicateMemberError(getattr(error, "constraint_name", "") or "") from None


async def person_for_email(conn: Connection, email: str, name: str) -> int:
    user_id: int = await conn.fetchval(query("members", "person_for_email"), email, name)
    return user_id


async def lock(conn: Connection, organization_id: int, user_id: int) -> MemberRow | None:
    return _member(await conn.fetchrow(query("members", "lock_member"), organization_id, user_id))


async def by_email(conn: Connection, organization_id: int, email: str) -> tuple[int, str] | None:
    row = await conn.fetchrow(query("members", "member_by_email"), organization_id, email)
    return None if row is None else (row["user_id"], row["status"])


async def status_of(conn: Connection, organization_id: int, user_id: int) -> str | None:
    status: str | None = await conn.fetchval(
        query("members", "member_status"), organization_id, user_id
    )
    return status


async def lock_active_admins(conn: Connection, organization_id: int) -> frozenset[int]:
    rows = await conn.fetch(query("members", "lock_active_admins"), organization_id)
    return frozenset(r["user_id"] for r in rows)


async def insert(
    conn: Connection,
    organization_id: int,
    user_id: int,
    *,
    role: str,
    name: str,
    email: str,
    status: str,
    external_id: str | None = None,
) -> None:
    with unique_membership():
        await conn.execute(
            query("members", "insert_member"),
            organization_id,
            user_id,
            role,
            name,
            email,
            status,
            external_id,
        )


async def update(conn: Connection, organization_id: int, row: MemberRow) -> MemberRow:
    """Write the row's name, email, role and external id; the row as stored."""
    with unique_membership():
        record = await conn.fetchrow(
            query("members", "update_member"),
            organization_id,
            row.user_id,
            row.name,
            row.email,
            row.role,
            row.external_id,
        )
    updated = _member(record)
    assert updated is not None
    return updated


async def set_status(
    conn: Connection, organization_id: int, user_id: int, status: str
) -> MemberRow:
    updated = _member(
        await conn.fetchrow(query("members", "set_member_status"), organization_id, user_id, status)
    )
    assert updated is not None
    return updated


async def delete_invited(conn: Connection, organization_id: int, user_id: int) -> None:
    await conn.execute(query("members", "delete_invited_member"), organization_id, user_id)


async def count_teams(conn: Connection, organization_id: int, team_ids: Sequence[int]) -> int:
    count: int = await conn.fetchval(query("members", "team_count"), organization_id, team_ids)
    return count


async def add_to_teams(
    conn: Connection, organization_id: int, team_ids: Sequence[int], user_id: int
) -> None:
    await conn.execute(query("members", "add_to_teams"), organization_id, team_ids, user_id)


async def transfer_ownership(
    conn: Connection, organization_id: int, from_user: int, to_user: int
) -> tuple[list[int], list[int]]:
    """Move what `from_user` owns to `to_user`: the ids of the objectives and key results."""
    objectives = await conn.fetch(
        query("members", "transfer_objectives"), organization_id, from_user, to_user
    )
    key_results = await conn.fetch(
        query("members", "transfer_key_results"), organization_id, from_user, to_user
    )
    return [r["id"] for r in objectives], [r["id"] for r in key_results]


async def insert_invitation(
    conn: Connection,
    organization_id: int,
    user_id: int,
    *,
    email: str,
    role: str,
    team_ids: Sequence[int],
    token_hash: bytes,
    invited_by: int | None,
    expires_at: dt.datetime,
) -> int:
    invitation_id: int = await conn.fetchval(
        query("members", "insert_invitation"),
        organization_id,
        user_id,
        email,
        role,
        list(team_ids),
        token_hash,
        invited_by,
        expires_at,
    )
    return invitation_id


async def lock_invitation(
    conn: Connection, organization_id: int, invitation_id: int
) -> InvitationRow | None:
    row = await conn.fetchrow(query("members", "lock_invitation"), organization_id, invitation_id)
    return None if row is None else InvitationRow(**dict(row))


async def open_invitation_of(conn: Connection, organization_id: int, user_id: int) -> int | None:
    invitation_id: int | None = await conn.fetchval(
        query("members", "open_invitation_of"), organization_id, user_id
    )
    return invitation_id


async def resend_invitation(
    conn: Connection,
    organization_id: int,
    invitation_id: int,
    token_hash: bytes,
    expires_at: dt.datetime,
) -> None:
    await conn.execute(
        query("members", "resend_invitation"),
        organization_id,
        invitation_id,
        token_hash,
        expires_at,
    )


async def revoke_invitation(conn: Connection, organization_id: int, invitation_id: int) -> None:
    await conn.execute(query("members", "revoke_invitation"), organization_id, invitation_id)


async def list_members(
    conn: Connection, organization_id: int, statuses: Sequence[str] | None = None
) -> list[MemberRow]:
    rows = await conn.fetch(
        query("members", "list_members"),
        organization_id,
        None if statuses is None else list(statuses),
    )
    return [MemberRow(**dict(r)) for r in rows]
