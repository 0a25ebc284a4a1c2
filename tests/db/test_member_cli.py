"""The operator's member commands: `okrql member invite | list | deactivate`."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg

from db.organizations import add_member, create_organization
from tests.db.test_authentication_tables import _okrql


async def test_an_operator_invites_lists_and_deactivates_members(
    pool: asyncpg.Pool[Any], database_url: str
) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "Cli AB", slug)
        await add_member(conn, organization_id, "Boss", f"boss+{slug}@t.example", "ADMIN")
        await add_member(conn, organization_id, "Heir", f"heir+{slug}@t.example", "MEMBER")
    email = f"ivy+{slug}@t.example"

    invited = await asyncio.to_thread(
        _okrql, database_url, "member", "invite", "--org", slug, "--email", email,
        "--name", "Ivy", "--role", "viewer",
    )  # fmt: skip
    assert invited.returncode == 0, invited.stderr
    assert invited.stdout.strip().startswith("okrqlinv_")
    again = await asyncio.to_thread(
        _okrql, database_url, "member", "invite", "--org", slug, "--email", email.upper(),
        "--name", "Ivy",
    )  # fmt: skip
    assert again.returncode == 1
    assert "ALREADY_INVITED" in again.stderr
    bad = await asyncio.to_thread(
        _okrql, database_url, "member", "invite", "--org", slug, "--email", "nope", "--name", "X"
    )
    assert bad.returncode == 1
    assert "INVALID_EMAIL" in bad.stderr

    listed = await asyncio.to_thread(_okrql, database_url, "member", "list", "--org", slug)
    assert listed.returncode == 0, listed.stderr
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("Boss", "ADMIN", "ACTIVE"),
        ("Heir", "MEMBER", "ACTIVE"),
        ("Ivy", "VIEWER", "INVITED"),
    ]

    last_admin = await asyncio.to_thread(
        _okrql, database_url, "member", "deactivate", "--org", slug, "--email",
        f"boss+{slug}@t.example",
    )  # fmt: skip
    assert last_admin.returncode == 1
    assert "LAST_ADMIN" in last_admin.stderr
    deactivated = await asyncio.to_thread(
        _okrql, database_url, "member", "deactivate", "--org", slug, "--email",
        f"HEIR+{slug}@t.example", "--transfer-to", f"boss+{slug}@t.example",
    )  # fmt: skip
    assert deactivated.returncode == 0, deactivated.stderr
    only = await asyncio.to_thread(
        _okrql, database_url, "member", "list", "--org", slug, "--status", "deactivated"
    )
    assert [line.split("\t")[1] for line in only.stdout.splitlines()] == ["Heir"]
    # the operator is nobody in the organisation: the change is logged without an actor
    event = await pool.fetchrow(
        "SELECT actor_user_id, actor_api_key_id FROM event"
        " WHERE organization_id = $1 AND type = 'member.deactivated'",
        organization_id,
    )
    assert event is not None
    assert tuple(event) == (None, None)
    unknown = await asyncio.to_thread(
        _okrql, database_url, "member", "deactivate", "--org", slug, "--email", "x@t.example"
    )
    assert unknown.returncode == 1
    assert "no member" in unknown.stderr
