"""Migrations round-trip, and the migrated schema is the one the code's SQL expects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from api.migrations import downgrade, head_revision, upgrade
from db.catalog import RELATIONS, SOURCES
from db.planner.sql import by_key_sql, connection_sql
from db.queries import queries
from tests.conftest import fresh_database

SQL_FILES = sorted(p.stem for p in __import__("pathlib").Path("db/sql").glob("*.sql"))


@pytest.fixture
async def scratch_url(server_url: str) -> AsyncIterator[str]:
    async with fresh_database(server_url, migrate=False) as url:
        yield url


async def _schema_snapshot(url: str) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        return (
            [
                tuple(r)
                for r in await conn.fetch(
                    """SELECT table_name, column_name, data_type, is_nullable, column_default
                   FROM information_schema.columns WHERE table_schema = 'public'
                   ORDER BY table_name, column_name"""
                )
            ]
            + [
                tuple(r)
                for r in await conn.fetch(
                    """SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
                   FROM pg_constraint WHERE connamespace = 'public'::regnamespace
                   ORDER BY 1, 2"""
                )
            ]
            + [
                tuple(r)
                for r in await conn.fetch(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE schemaname = 'public' ORDER BY 1"
                )
            ]
            + [
                tuple(r)
                for r in await conn.fetch(
                    "SELECT relname, reloptions FROM pg_class"
                    " WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL"
                    " ORDER BY 1"
                )
            ]
        )
    finally:
        await conn.close()


async def test_upgrade_downgrade_upgrade_round_trip(scratch_url: str) -> None:
    # given a database migrated to head
    await asyncio.to_thread(upgrade, scratch_url)
    migrated = await _schema_snapshot(scratch_url)
    # when every revision is reverted and applied again
    await asyncio.to_thread(downgrade, scratch_url, "base")
    conn = await asyncpg.connect(scratch_url)
    left = await conn.fetchval(
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
        " AND relname NOT LIKE 'alembic_version%'"
    )
    types = await conn.fetchval(
        "SELECT count(*) FROM pg_type WHERE typnamespace = 'public'::regnamespace AND typtype = 'e'"
    )
    await conn.close()
    await asyncio.to_thread(upgrade, scratch_url)
    # then the downgrade left nothing behind and the schema is rebuilt identically
    assert (left, types) == (0, 0)
    assert await _schema_snapshot(scratch_url) == migrated


async def test_database_is_at_head(pool: asyncpg.Pool[Any]) -> None:
    assert await pool.fetchval("SELECT version_num FROM alembic_version") == head_revision()


async def test_every_catalog_statement_prepares_against_the_migrated_schema(
    pool: asyncpg.Pool[Any],
) -> None:
    # Preparing makes PostgreSQL resolve every table, column, type and operator the planner
    # can emit: a migration that drops or renames something the code reads fails here.
    async with pool.acquire() as conn:
        for source in SOURCES.values():
            await conn.prepare(by_key_sql(source.name, tuple(source.columns)))
        for name, relation in RELATIONS.items():
            source = SOURCES[relation.source]
            for order_name in source.orders or {"default": None}:
                await conn.prepare(
                    connection_sql(
                        name,
                        tuple(source.columns),
                        tuple(source.filters),
                        order_name if source.orders else None,
                        True,
                        True,
                    )
                )


@pytest.mark.parametrize("file", SQL_FILES)
async def test_every_named_query_prepares(pool: asyncpg.Pool[Any], file: str) -> None:
    async with pool.acquire() as conn:
        for text in queries(file).values():
            await conn.prepare(text)


# What a check-in writes on every row it moves (db/sql/check_ins.sql: record_check_in,
# db/sql/progress.sql: write_progress). An index covering one of them (as a key, in an
# expression or in a predicate) turns each of those updates into an insert in every index.
HOT_PATH_COLUMNS = {
    "key_result": {
        "current_value", "done", "last_check_in_id", "last_measured_at", "last_confidence",
        "next_check_in_due",
    },
    "objective": {"progress"},
}  # fmt: skip


@pytest.mark.parametrize("table", sorted(HOT_PATH_COLUMNS))
async def test_check_ins_update_rows_in_place(pool: asyncpg.Pool[Any], table: str) -> None:
    rows = await pool.fetch(
        """SELECT i.indexrelid::regclass::text AS name, a.attname AS column_name
           FROM pg_index i
           JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum > 0
           WHERE i.indrelid = $1::regclass
             AND (a.attnum = ANY (i.indkey)
                  OR pg_get_expr(i.indexprs, i.indrelid) ~ ('\\m' || a.attname || '\\M')
                  OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M'))""",
        table,
    )
    covered = {(r["name"], r["column_name"]) for r in rows}
    assert {(n, c) for n, c in covered if c in HOT_PATH_COLUMNS[table]} == set()
    # and the pages keep room for the new row versions
    options = await pool.fetchval("SELECT reloptions FROM pg_class WHERE oid = $1::regclass", table)
    assert "fillfactor=90" in (options or [])
