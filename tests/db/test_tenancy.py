"""Tenant isolation in the database itself: row-level security binds the API's role."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import pytest

from api.settings import Settings
from db.organizations import add_member, create_organization
from db.pool import create_pool
from db.tenancy import tenant_transaction

APP_ROLE = Settings().database_role


@pytest.fixture
async def app_pool(database_url: str) -> Any:
    pool = await create_pool(database_url, min_size=1, max_size=1, role=APP_ROLE)
    yield pool
    await pool.close()


async def _organization(pool: asyncpg.Pool[Any]) -> int:
    slug = f"rls-{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "RLS AB", slug)
        await add_member(conn, organization_id, "Rut", f"rut+{slug}@t.example", "ADMIN")
        await conn.execute(
            """INSERT INTO cycle (organization_id, name, starts_on, ends_on)
               VALUES ($1, 'Q4', '2026-10-01', '2026-12-31')""",
            organization_id,
        )
    return organization_id


async def test_the_application_role_cannot_bypass_row_level_security(
    pool: asyncpg.Pool[Any],
) -> None:
    role = await pool.fetchrow(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = $1", APP_ROLE
    )
    assert role is not None
    assert (role["rolsuper"], role["rolbypassrls"]) == (False, False)
    owned = await pool.fetchval(
        """SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner
           WHERE r.rolname = $1""",
        APP_ROLE,
    )
    assert owned == 0


async def test_every_tenant_table_has_row_level_security_enabled_and_forced(
    pool: asyncpg.Pool[Any],
) -> None:
    rows = await pool.fetch(
        """SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
           FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
             AND (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                          AND a.attname = 'organization_id' AND NOT a.attisdropped)
                  OR c.relname IN ('organization', 'app_user'))"""
    )
    assert len(rows) >= 11
    assert [
        r["relname"] for r in rows if not (r["relrowsecurity"] and r["relforcerowsecurity"])
    ] == []


async def test_rows_are_visible_only_inside_their_organisation(
    pool: asyncpg.Pool[Any], app_pool: asyncpg.Pool[Any]
) -> None:
    # given two organisations with a cycle each
    first, _ = await _organization(pool), await _organization(pool)
    async with app_pool.acquire() as conn:
        # when the application role reads without binding an organisation, it sees nothing
        assert await conn.fetchval("SELECT count(*) FROM cycle") == 0
        assert await conn.fetchval("SELECT count(*) FROM organization") == 0
        # when bound to the first, it sees only the first's rows, even asking for all
        async with tenant_transaction(conn, first, mode="read"):
            organizations = await conn.fetch("SELECT id FROM organization")
            cycles = await conn.fetch("SELECT organization_id FROM cycle")
            people = await conn.fetchval("SELECT count(*) FROM app_user")
        assert [r["id"] for r in organizations] == [first]
        assert {r["organization_id"] for r in cycles} == {first}
        assert people == 1
        # and the binding ends with the transaction: the pooled connection reads '' again
        assert await conn.fetchval("SELECT count(*) FROM cycle") == 0
        assert await conn.fetchval("SELECT okrql_organization_id()") is None


async def test_writing_into_another_organisation_is_refused(
    pool: asyncpg.Pool[Any], app_pool: asyncpg.Pool[Any]
) -> None:
    first, second = await _organization(pool), await _organization(pool)
    async with app_pool.acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            async with tenant_transaction(conn, first):
                await conn.execute(
                    """INSERT INTO cycle (organization_id, name, starts_on, ends_on)
                       VALUES ($1, 'Sneaky', '2026-10-01', '2026-12-31')""",
                    second,
                )
        async with tenant_transaction(conn, first):
            updated = await conn.execute("UPDATE cycle SET name = 'Hijacked'")
            event_update = await conn.fetchval(
                "SELECT has_table_privilege(current_user, 'event', 'UPDATE')"
            )
        assert updated == "UPDATE 1"  # its own cycle only
        assert event_update is False  # the event log is append-only for the API
    assert await pool.fetchval("SELECT name FROM cycle WHERE organization_id = $1", second) == "Q4"


async def test_a_connection_back_in_the_pool_carries_nothing_of_the_request_before(
    pool: asyncpg.Pool[Any], app_pool: asyncpg.Pool[Any]
) -> None:
    """The pool skips asyncpg's reset query on release (one round trip per request): what a
    request leaves must still never reach the next one on the same connection."""
    organization_id = await _organization(pool)
    async with app_pool.acquire() as conn:
        # a request that stops in the middle of its transaction (a cancelled client)
        await conn.execute(
            f"BEGIN; SELECT set_config('okrql.organization_id', '{organization_id}', true);"
            " SET LOCAL work_mem = '77kB'"
        )
        await conn.execute(
            "INSERT INTO team (organization_id, name) VALUES ($1, 'Half')", organization_id
        )
    async with app_pool.acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('okrql.organization_id', true)") in (
            None,
            "",
        )
        assert await conn.fetchval("SELECT current_setting('work_mem')") != "77kB"
        assert await conn.fetchval("SELECT current_user") == APP_ROLE
        async with tenant_transaction(conn, organization_id):
            assert await conn.fetchval("SELECT count(*) FROM team WHERE name = 'Half'") == 0


async def test_generic_plans_hold_for_the_transaction_only(
    pool: asyncpg.Pool[Any], app_pool: asyncpg.Pool[Any]
) -> None:
    organization_id = await _organization(pool)
    async with app_pool.acquire() as conn:
        async with tenant_transaction(conn, organization_id, generic_plans=True):
            assert await conn.fetchval("SELECT current_setting('plan_cache_mode')") == (
                "force_generic_plan"
            )
            assert await conn.fetchval("SELECT current_setting('okrql.organization_id')") == str(
                organization_id
            )
        assert await conn.fetchval("SELECT current_setting('plan_cache_mode')") == "auto"


async def test_reading_a_person_probes_one_membership_whatever_the_organisation_size(
    pool: asyncpg.Pool[Any], app_pool: asyncpg.Pool[Any]
) -> None:
    # given an organisation with many members (a hash of them all would be the cheaper plan)
    organization_id = await _organization(pool)
    async with pool.acquire() as conn, conn.transaction():
        for i in range(300):
            await add_member(
                conn, organization_id, f"P{i}", f"p{i}+{organization_id}@t.ex", "MEMBER"
            )
        await conn.execute("ANALYZE membership; ANALYZE app_user")
    async with (
        app_pool.acquire() as conn,
        tenant_transaction(conn, organization_id, mode="read", generic_plans=True),
    ):
        person = await conn.fetchval(
            "SELECT user_id FROM membership WHERE organization_id = $1 LIMIT 1", organization_id
        )
        await conn.execute("PREPARE person(bigint) AS SELECT name FROM app_user WHERE id = $1")
        plan = "\n".join(r[0] for r in await conn.fetch(f"EXPLAIN EXECUTE person({int(person):d})"))
        await conn.execute("DEALLOCATE person")
    # when one person is read, the policy is one index probe, never every membership
    assert re.search(r"Index (Only )?Scan using membership_\w+ on membership", plan)
    assert "hashed SubPlan" not in plan
    assert "Seq Scan on membership" not in plan
