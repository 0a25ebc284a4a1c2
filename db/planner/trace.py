"""The statements a request ran, as they ran: for administrators in development who ask to see
a query's plan (README "Plans you can see").

A `PlanTrace` exists only for a request that asked for it. Its `TracedConnection` then stands
in for the request's connection: every call passes through and is recorded with its
parameters, rows and time, and, on request, PostgreSQL's EXPLAIN of it. A request that asks
for nothing never meets either, so the read path pays nothing for them.

EXPLAIN ANALYZE runs a statement a second time. It is asked for only for queries, whose
transaction is read-only; a mutation's statements get EXPLAIN without ANALYZE (planned, never
run again: a write is not repeated).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from db.progress import Connection

# Statements PostgreSQL can EXPLAIN, by their first keyword (after comments).
_EXPLAINABLE = frozenset({"select", "with", "insert", "update", "delete", "merge", "values"})
_FIRST_WORD = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)", re.DOTALL)
_ROWS_OF_STATUS = re.compile(r"(\d+)$")


@dataclass(slots=True)
class TracedStatement:
    call: str  # the asyncpg method: fetch, fetchrow, fetchval, execute
    sql: str
    parameters: tuple[Any, ...]
    rows: int | None  # None when the call does not tell (fetchval)
    ms: float
    fetches: tuple[tuple[str, ...], ...]  # the GraphQL paths it served
    explain: str | None = None
    error: str | None = None


@dataclass(eq=False)
class PlanTrace:
    """What a request asked to see, and what was recorded for it."""

    explain: bool = False
    # Only ever true for a query: see the module's docstring.
    analyze: bool = False
    # Filled by the executor: the compiled plan (db/planner/describe.py) and whether it came
    # from the per-document cache.
    plan: dict[str, Any] | None = None
    cached: bool = True
    statements: list[TracedStatement] = field(default_factory=list)
    # The fetches whose statement runs now; the runner's traced variant keeps it current.
    serving: tuple[tuple[str, ...], ...] = ()
    started: float = 0.0
    # Spent on EXPLAIN, which the request would not have run: left out of `ms`.
    explain_ms: float = 0.0

    def wrap(self, conn: Connection) -> TracedConnection:
        self.started = time.perf_counter()
        return TracedConnection(conn, self)

    def report(self) -> dict[str, Any]:
        """`extensions.plan` of the response: `ms` from the request's first statement to its
        data (statements and rendering), `sqlMs` the statements' part of it."""
        out: dict[str, Any] = {
            "cached": self.cached,
            "ms": round((time.perf_counter() - self.started) * 1000 - self.explain_ms, 3),
            "sqlMs": round(sum(s.ms for s in self.statements), 3),
        }
        if self.explain:
            out["analyzed"] = self.analyze
        out["tree"] = self.plan
        out["statements"] = [_statement(s) for s in self.statements]
        return out


def _statement(s: TracedStatement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fetches": [".".join(path) for path in s.fetches],
        "call": s.call,
        "rows": s.rows,
        "ms": round(s.ms, 3),
        "sql": s.sql,
        "parameters": [_jsonable(p) for p in s.parameters],
    }
    if s.explain is not None:
        out["explain"] = s.explain
    if s.error is not None:
        out["error"] = s.error
    return out


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):  # a jsonb parameter (an event's before and after)
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)  # decimals, dates, times: their text form


def _rows(call: str, result: Any) -> int | None:
    if call == "fetch":
        return len(result)
    if call == "fetchrow":
        return 0 if result is None else 1
    if call == "execute" and isinstance(result, str):  # a status: "INSERT 0 3", "UPDATE 2"
        found = _ROWS_OF_STATUS.search(result)
        return int(found.group(1)) if found else None
    return None


def explainable(call: str, sql: str, args: tuple[Any, ...]) -> bool:
    # `execute` without arguments takes the simple protocol, which allows several statements
    # in one string (BEGIN; SELECT ...): EXPLAIN takes one.
    if call == "execute" and not args:
        return False
    first = _FIRST_WORD.match(sql)
    return first is not None and first.group(1).lower() in _EXPLAINABLE


class TracedConnection:
    """The request's connection, recording every statement run on it into a PlanTrace.

    Anything else (transactions, `is_in_transaction`, ...) passes through unrecorded.
    """

    def __init__(self, conn: Connection, trace: PlanTrace) -> None:
        self._conn = conn
        self._trace = trace

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)

    async def fetch(self, query: str, *args: Any, **kwargs: Any) -> list[Any]:
        rows: list[Any] = await self._run("fetch", query, args, kwargs)
        return rows

    async def fetchrow(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchrow", query, args, kwargs)

    async def fetchval(self, query: str, *args: Any, **kwargs: Any) -> Any:
        return await self._run("fetchval", query, args, kwargs)

    async def execute(self, query: str, *args: Any, **kwargs: Any) -> str:
        status: str = await self._run("execute", query, args, kwargs)
        return status

    async def _run(
        self, call: str, query: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        trace = self._trace
        serving = trace.serving
        started = time.perf_counter()
        try:
            result = await getattr(self._conn, call)(query, *args, **kwargs)
        except BaseException as error:
            ms = (time.perf_counter() - started) * 1000
            trace.statements.append(
                TracedStatement(
                    call, query, args, None, ms, serving, error=f"{type(error).__name__}: {error}"
                )
            )
            raise
        finished = time.perf_counter()
        ms = (finished - started) * 1000
        explain = None
        if trace.explain and explainable(call, query, args):
            explain = await self._explain(query, args)
            trace.explain_ms += (time.perf_counter() - finished) * 1000
        trace.statements.append(
            TracedStatement(call, query, args, _rows(call, result), ms, serving, explain)
        )
        return result

    async def _explain(self, query: str, args: tuple[Any, ...]) -> str:
        options = "ANALYZE, BUFFERS" if self._trace.analyze else "COSTS"
        # A failed EXPLAIN (a statement timeout on the second run, say) must not fail the
        # request's transaction with it.
        savepoint = self._conn.is_in_transaction()
        if savepoint:
            await self._conn.execute("SAVEPOINT okrql_explain")
        try:
            rows = await self._conn.fetch(f"EXPLAIN ({options}) {query}", *args)
        except asyncpg.PostgresError as error:
            if savepoint:
                await self._conn.execute("ROLLBACK TO SAVEPOINT okrql_explain")
            return f"EXPLAIN failed: {type(error).__name__}: {error}"
        if savepoint:
            await self._conn.execute("RELEASE SAVEPOINT okrql_explain")
        return "\n".join(row[0] for row in rows)
