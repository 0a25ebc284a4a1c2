"""Build the bench database and clone it for each server.

The data is built once into a template database (migrated by the project's alembic, loaded
with COPY, denormalised columns computed by the project's own `recompute_all` (the same code
that maintains them on write), PostGraphile's functions added, VACUUM ANALYZE) and each target
gets a fresh clone of it (CREATE DATABASE ... TEMPLATE): every server
sees identical rows, statistics and visibility maps, and W3's inserts never leak into the other
target. The template is rebuilt only when its fingerprint (data parameters, this loader, the
SQL it runs, the project's migrations) changes. Each target has its own clone for the whole
run (both servers stay up, interleaved); W3's later rounds get clones (and servers) of their
own.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncpg

from bench import okrql_rows, seed
from bench.config import BENCH_DIR, ORG_ID, PROJECT_DIR, PROJECT_VENV, DatabaseConfig

FUNCTIONS_SQL = BENCH_DIR / "postgraphile" / "functions.sql"
TABLES_WITH_IDENTITY = (
    "organization",
    "app_user",
    "team",
    "cycle",
    "objective",
    "alignment",
    "key_result",
    "check_in",
)


def fingerprint(cfg: DatabaseConfig, src: Path = PROJECT_DIR) -> str:
    h = hashlib.sha256(f"scale={cfg.scale} seed={cfg.seed}".encode())
    sources = [
        BENCH_DIR / "seed.py",
        BENCH_DIR / "load.py",
        BENCH_DIR / "okrql_rows.py",
        FUNCTIONS_SQL,
        *sorted((src / "alembic" / "versions").glob("*.py")),
        src / "services" / "progress.py",
        src / "db" / "sql" / "progress.sql",
    ]
    for path in sources:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


async def ensure_template(cfg: DatabaseConfig, src: Path = PROJECT_DIR) -> None:
    """Build the template database unless one with the same fingerprint exists; `src` is the
    okrql source (the run's snapshot) whose migrations and progress rules it uses."""
    fp = fingerprint(cfg, src)
    admin = await asyncpg.connect(cfg.admin_url)
    try:
        existing = await admin.fetchval(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1",
            cfg.template,
        )
        if existing == f"okrql bench {fp}":
            print(f"  bench template {cfg.template} is current ({fp})", flush=True)
            return
        await admin.execute(f'DROP DATABASE IF EXISTS "{cfg.template}"')
        await admin.execute(f'CREATE DATABASE "{cfg.template}"')
    finally:
        await admin.close()

    t0 = time.perf_counter()
    migrate(cfg.template_url, src)
    data = seed.generate(cfg.scale, cfg.seed)
    conn = await asyncpg.connect(cfg.template_url)
    try:
        async with conn.transaction():
            await copy_rows(conn, data)
        await derive(cfg.template_url)
        async with conn.transaction():
            await conn.execute(FUNCTIONS_SQL.read_text())
        await conn.execute("VACUUM ANALYZE")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM objective) AS objectives,"
            " (SELECT count(*) FROM key_result) AS key_results,"
            " (SELECT count(*) FROM check_in) AS check_ins"
        )
    finally:
        await conn.close()
    print(
        f"  built {cfg.template} (scale {cfg.scale}, seed {cfg.seed}): {dict(counts)} "
        f"in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )

    admin = await asyncpg.connect(cfg.admin_url)
    try:
        await admin.execute(f"COMMENT ON DATABASE \"{cfg.template}\" IS 'okrql bench {fp}'")
    finally:
        await admin.close()


async def derive(url: str) -> None:
    """The denormalised columns (a KR's latest check-in and due time, objective progress),
    computed by the project's own recomputation, so the bench data is what the API stores."""
    from db.pool import create_pool  # the project's codecs, as its services expect them
    from services.progress import recompute_all

    pool = await create_pool(url, min_size=1, max_size=1)
    try:
        async with pool.acquire() as conn, conn.transaction():
            await recompute_all(conn, ORG_ID)
    finally:
        await pool.close()


async def reset(cfg: DatabaseConfig, name: str) -> None:
    """Replace the database `name` with a fresh clone of the template."""
    admin = await asyncpg.connect(cfg.admin_url)
    try:
        # No FORCE: the only sessions on a target's database are of the server this harness
        # has just stopped (its backends may take a moment to exit: DROP waits up to 5 s, and
        # is retried); anything else connected is someone else's and must not be killed.
        for attempt in range(4):
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
                break
            except asyncpg.ObjectInUseError:
                if attempt == 3:
                    raise
                await asyncio.sleep(2)
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{cfg.template}"')
    finally:
        await admin.close()


def migrate(url: str, src: Path = PROJECT_DIR) -> None:
    """The project's own migrations, exactly as an operator runs them."""
    env = dict(os.environ, DATABASE_URL=url)
    subprocess.run(
        [str(PROJECT_VENV / "bin" / "alembic"), "upgrade", "head"],
        cwd=src,
        env=env,
        check=True,
        timeout=300,
    )


async def copy_rows(conn: asyncpg.Connection, data: seed.PeerData) -> None:
    """COPY every table's rows; identity sequences then continue past the loaded ids."""
    for table, rows in okrql_rows.tables(data).items():
        columns = list(rows[0])
        records = [tuple(row.values()) for row in rows]
        await conn.copy_records_to_table(table, records=records, columns=columns)
    for table in TABLES_WITH_IDENTITY:
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
            f" (SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )


async def data_shape(cfg: DatabaseConfig) -> dict[str, Any]:
    """The ids the workloads may address, read from the template."""
    conn = await asyncpg.connect(cfg.template_url)
    try:
        cycles = [r["id"] for r in await conn.fetch("SELECT id FROM cycle ORDER BY id")]
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM objective) AS objectives,"
            " (SELECT count(*) FROM key_result) AS key_results,"
            " (SELECT count(*) FROM check_in) AS check_ins"
        )
    finally:
        await conn.close()
    return {"cycles": cycles, **dict(counts or {})}
