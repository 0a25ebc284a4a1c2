"""The authentication tables under row-level security, and the operator's commands."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from typing import Any

import asyncpg
import pytest

from api.settings import Settings
from db.organizations import add_member, create_organization
from db.pool import create_pool
from db.tenancy import tenant_transaction
from domain.api_keys import hash_secret
from services.api_keys import issue_key

APP_ROLE = Settings().database_role


async def _organization(pool: asyncpg.Pool[Any]) -> int:
    slug = f"k-{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "Keys AB", slug)
        await add_member(conn, organization_id, "Kim", f"kim+{slug}@t.example", "ADMIN")
    return organization_id


async def test_api_keys_are_visible_only_in_their_organisation(
    pool: asyncpg.Pool[Any], database_url: str
) -> None:
    first, second = await _organization(pool), await _organization(pool)
    for organization_id in (first, second):
        async with pool.acquire() as conn, tenant_transaction(conn, organization_id):
            await issue_key(conn, organization_id, name="k", scopes=["read"])
    app_pool = await create_pool(database_url, min_size=1, max_size=1, role=APP_ROLE)
    try:
        async with app_pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM api_key") == 0
            async with tenant_transaction(conn, first, mode="read"):
                owners = await conn.fetch("SELECT organization_id FROM api_key")
            assert {r["organization_id"] for r in owners} == {first}
            # identities are reachable only through the SECURITY DEFINER functions
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch("SELECT * FROM user_identity")
            # which find a key by its hash before any organisation is bound
            assert await conn.fetch("SELECT * FROM okrql_api_key_authenticate($1)", b"x" * 32) == []
    finally:
        await app_pool.close()


def _okrql(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRQL_")}
    env |= {
        "DATABASE_URL": database_url,
        "OKRQL_JWT_SECRET": "c" * 32,
        "OKRQL_JWT_ISSUER": "okrql-dev",
        "OKRQL_JWT_AUDIENCE": "okrql",
    }
    return subprocess.run(
        [sys.executable, "-m", "api.cli", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


async def test_operator_commands_provision_an_organisation_and_its_keys(
    pool: asyncpg.Pool[Any], database_url: str
) -> None:
    slug = f"cli-{uuid.uuid4().hex[:8]}"
    email = f"boss+{slug}@t.example"
    created = await asyncio.to_thread(
        _okrql, database_url, "org", "create", "--name", "Cli AB", "--slug", slug,
        "--admin-email", email, "--time-zone", "Europe/Stockholm",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    row = await pool.fetchrow(
        "SELECT o.time_zone, m.role::text AS role FROM organization o"
        " JOIN membership m ON m.organization_id = o.id JOIN app_user u ON u.id = m.user_id"
        " WHERE o.slug = $1 AND u.email = $2",
        slug,
        email,
    )
    assert row is not None
    assert (row["time_zone"], row["role"]) == ("Europe/Stockholm", "ADMIN")
    again = await asyncio.to_thread(
        _okrql, database_url, "org", "create", "--name", "X", "--slug", slug, "--admin-email", email
    )
    assert again.returncode == 1

    key = await asyncio.to_thread(
        _okrql, database_url, "key", "create", "--org", slug, "--name", "CRM",
        "--scopes", "read,checkins:write", "--expires-in-days", "30",
    )  # fmt: skip
    assert key.returncode == 0, key.stderr
    secret = key.stdout.strip()
    stored = await pool.fetchrow(
        "SELECT prefix, scopes, expires_at, revoked_at FROM api_key WHERE secret_hash = $1",
        hash_secret(secret),
    )
    assert stored is not None
    assert stored["scopes"] == ["read", "checkins:write"]
    assert stored["expires_at"] is not None
    revoked = await asyncio.to_thread(
        _okrql, database_url, "key", "revoke", "--org", slug, "--prefix", stored["prefix"]
    )
    assert revoked.returncode == 0, revoked.stderr
    assert (
        await pool.fetchval(
            "SELECT revoked_at FROM api_key WHERE secret_hash = $1", hash_secret(secret)
        )
        is not None
    )

    token = await asyncio.to_thread(_okrql, database_url, "token", "--email", email, "--org", slug)
    assert token.returncode == 0, token.stderr
    assert token.stdout.count(".") == 2
