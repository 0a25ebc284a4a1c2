"""Counting the SQL statements a request runs (behaviour, not timing: round trips are what a
hot path is made of)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class StatementLog:
    """Stands in for the app's pool and logs every statement run on a connection it lends."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self.statements: list[str] = []

    def _heard(self, record: Any) -> None:
        statement = " ".join(record.query.split())
        # asyncpg introspects a type the first time a connection meets it: once per connection
        # and type, not per request
        if "typeinfo_tree" not in statement and "set_config('jit'" not in statement:
            self.statements.append(statement)

    def acquire(self, *args: Any, **kwargs: Any) -> _Lent:
        return _Lent(self, self._pool.acquire(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


class _Lent:
    def __init__(self, log: StatementLog, acquiring: Any) -> None:
        self._log, self._acquiring, self._conn = log, acquiring, None

    async def __aenter__(self) -> Any:
        self._conn = await self._acquiring.__aenter__()
        self._conn.add_query_logger(self._log._heard)
        return self._conn

    async def __aexit__(self, *exc: Any) -> Any:
        assert self._conn is not None
        self._conn.remove_query_logger(self._log._heard)
        return await self._acquiring.__aexit__(*exc)


@contextmanager
def statements_of(app: Any) -> Iterator[StatementLog]:
    """Log what the app runs on its pool while the block runs."""
    # (monkeypatch would delete the attribute on undo: Starlette's State keeps a dict)
    pool = app.state.pool
    log = StatementLog(pool)
    app.state.pool = log
    try:
        yield log
    finally:
        app.state.pool = pool
