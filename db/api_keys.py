"""API keys: stored as a hash, owned by an organisation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from db.progress import Connection
from db.queries import query


@dataclass(frozen=True, slots=True)
class AuthenticatedKey:
    api_key_id: int
    organization_id: int
    slug: str
    time_zone: str
    scopes: tuple[str, ...]
    team_ids: tuple[int, ...]
    # A personal access token's member (acting as them), their role and teams there.
    user_id: int | None = None
    role: str | None = None
    member_team_ids: tuple[int, ...] = ()


async def authenticate(pool: asyncpg.Pool[Any], secret_hash: bytes) -> AuthenticatedKey | None:
    """The valid (not revoked, not expired) key with this hash; marks it used."""
    row = await pool.fetchrow(query("api_keys", "authenticate"), secret_hash)
    if row is None:
        return None
    return AuthenticatedKey(
        api_key_id=row["api_key_id"],
        organization_id=row["organization_id"],
        slug=row["slug"],
        time_zone=row["time_zone"],
        scopes=tuple(row["scopes"]),
        team_ids=tuple(row["team_ids"]),
        user_id=row["user_id"],
        role=row["role"],
        member_team_ids=tuple(row["member_team_ids"] or ()),
    )


async def create(
    conn: Connection,
    organization_id: int,
    *,
    name: str,
    prefix: str,
    secret_hash: bytes,
    scopes: Sequence[str],
    team_ids: Sequence[int],
    created_by: int | None,
    expires_at: dt.datetime | None,
    user_id: int | None = None,
) -> int:
    api_key_id: int = await conn.fetchval(
        query("api_keys", "create_api_key"),
        organization_id,
        name,
        prefix,
        secret_hash,
        list(scopes),
        list(team_ids),
        created_by,
        expires_at,
        user_id,
    )
    return api_key_id


async def revoke(conn: Connection, organization_id: int, api_key_id: int) -> bool:
    """Revoke a key of the organisation; False when it has none by that id."""
    return (
        await conn.fetchval(query("api_keys", "revoke_api_key"), organization_id, api_key_id)
        is not None
    )


async def personal_token_owner(
    conn: Connection, organization_id: int, api_key_id: int
) -> int | None:
    """The member whose personal access token this is; None when it is none of theirs."""
    owner: int | None = await conn.fetchval(
        query("api_keys", "personal_token_owner"), organization_id, api_key_id
    )
    return owner


async def ids_by_prefix(conn: Connection, organization_id: int, prefix: str) -> list[int]:
    """The organisation's keys with this display prefix (one, unless it is ambiguous)."""
    rows = await conn.fetch(query("api_keys", "ids_by_prefix"), organization_id, prefix)
    return [r["id"] for r in rows]


async def count_teams(conn: Connection, organization_id: int, team_ids: Sequence[int]) -> int:
    """How many of `team_ids` are teams of the organisation."""
    count: int = await conn.fetchval(
        query("api_keys", "count_teams"), organization_id, list(team_ids)
    )
    return count


async def organization_id_by_slug(conn: Connection, slug: str) -> int | None:
    organization_id: int | None = await conn.fetchval(
        query("api_keys", "organization_by_slug"), slug
    )
    return organization_id
