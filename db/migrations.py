"""Helpers for Alembic revisions, which are hand-written SQL scripts."""

from __future__ import annotations

from sqlalchemy.util import await_only

from alembic import op


def execute_script(sql: str) -> None:
    """Run a multi-statement SQL script on the migration's connection.

    SQLAlchemy's asyncpg dialect prepares every statement, and a prepared statement holds one
    command; asyncpg's own `execute` without arguments uses the simple protocol, which runs a
    whole script in one round trip, inside the migration's transaction.
    """
    driver_connection = op.get_bind().connection.driver_connection
    assert driver_connection is not None
    await_only(driver_connection.execute(sql))
