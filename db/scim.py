"""SCIM's reads and writes of members and teams (db/sql/scim.sql): pages that a filter
selects, single resources, and a provisioned member's profile."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from db.members import unique_membership
from db.progress import Connection
from db.queries import query
from db.scim_filters import GROUPS, USERS, Attributes, compile_filter
from domain.scim.filters import Filter
from domain.scim.groups import ScimTeam
from domain.scim.users import ScimMember

USER_NAME_KEY = "membership_user_name_key"
_FILTER = "TRUE /* filter */"


@dataclass(frozen=True, slots=True)
class Found:
    """A membership that a userName or an email names."""

    user_id: int
    status: str
    deprovisioned: bool


def _member(record: Any) -> ScimMember:
    return ScimMember(**dict(record))


def _team(record: Any) -> ScimTeam:
    values = dict(record)
    values["member_ids"] = tuple(values["member_ids"])
    return ScimTeam(**values)


async def _page(
    conn: Connection,
    names: tuple[str, str],
    attributes: Attributes,
    organization_id: int,
    tree: Filter | None,
    offset: int,
    count: int,
) -> tuple[int, list[Any]]:
    listed, counted = names
    params: list[Any] = []
    predicate = compile_filter(tree, attributes, params, 4)
    records = []
    if count > 0:
        sql = query("scim", listed).replace(_FILTER, predicate)
        records = await conn.fetch(sql, organization_id, count, offset, *params)
    if 0 < len(records) < count and offset == 0:
        return len(records), records
    params = []
    predicate = compile_filter(tree, attributes, params, 2)
    total: int = await conn.fetchval(
        query("scim", counted).replace(_FILTER, predicate), organization_id, *params
    )
    return total, records


async def list_users(
    conn: Connection, organization_id: int, tree: Filter | None, offset: int, count: int
) -> tuple[int, list[ScimMember]]:
    """How many members match, and the `count` after the first `offset` of them."""
    total, records = await _page(
        conn, ("list_users", "count_users"), USERS, organization_id, tree, offset, count
    )
    return total, [_member(r) for r in records]


async def user(
    conn: Connection, organization_id: int, user_id: int, *, lock: bool = False
) -> ScimMember | None:
    record = await conn.fetchrow(
        query("scim", "lock_user" if lock else "user"), organization_id, user_id
    )
    return None if record is None else _member(record)


async def lock_by_user_name(conn: Connection, organization_id: int, user_name: str) -> Found | None:
    record = await conn.fetchrow(query("scim", "lock_by_user_name"), organization_id, user_name)
    return None if record is None else Found(**dict(record))


async def lock_by_email(conn: Connection, organization_id: int, email: str) -> Found | None:
    record = await conn.fetchrow(query("scim", "lock_by_email"), organization_id, email)
    return None if record is None else Found(**dict(record))


async def insert_user(
    conn: Connection,
    organization_id: int,
    user_id: int,
    *,
    role: str,
    name: str,
    email: str,
    status: str,
    external_id: str | None,
    user_name: str,
    scim: dict[str, Any],
) -> None:
    with unique_membership():
        await conn.execute(
            query("scim", "insert_user"),
            organization_id,
            user_id,
            role,
            name,
            email,
            status,
            external_id,
            user_name,
            scim,
        )


async def write_user(
    conn: Connection,
    organization_id: int,
    user_id: int,
    *,
    name: str,
    email: str,
    role: str,
    external_id: str | None,
    user_name: str,
    scim: dict[str, Any],
) -> None:
    with unique_membership():
        await conn.execute(
            query("scim", "write_user"),
            organization_id,
            user_id,
            name,
            email,
            role,
            external_id,
            user_name,
            scim,
        )


async def deprovision_user(conn: Connection, organization_id: int, user_id: int) -> None:
    await conn.execute(query("scim", "deprovision_user"), organization_id, user_id)


async def list_teams(
    conn: Connection, organization_id: int, tree: Filter | None, offset: int, count: int
) -> tuple[int, list[ScimTeam]]:
    total, records = await _page(
        conn, ("list_teams", "count_teams"), GROUPS, organization_id, tree, offset, count
    )
    return total, [_team(r) for r in records]


async def team(conn: Connection, organization_id: int, team_id: int) -> ScimTeam | None:
    record = await conn.fetchrow(query("scim", "team"), organization_id, team_id)
    return None if record is None else _team(record)


async def provisioned_members(
    conn: Connection, organization_id: int, user_ids: Sequence[int]
) -> set[int]:
    records = await conn.fetch(
        query("scim", "provisioned_members"), organization_id, list(user_ids)
    )
    return {r["user_id"] for r in records}


async def restore_user(conn: Connection, organization_id: int, user_id: int) -> None:
    await conn.execute(query("scim", "restore_user"), organization_id, user_id)
