"""The planner's statements: their round trips grow with the depth of a query, never with its
rows, and their generic plans probe keys rather than scan small tables."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg

from api import executor
from api.settings import Settings
from db.organizations import add_member, create_organization
from db.planner.mapping import ReadContext
from db.tenancy import tenant_transaction
from schema.context import RequestContext
from services.identity import Identity
from tests.arrange import objective_tree

NESTED = """query ($cycle: ID!, $n: Int!) {
  objectives(filter: {cycleId: $cycle}, first: $n) {
    totalCount
    nodes {
      id title progress
      keyResults(first: 10) {
        nodes { title progress lastCheckIn { value measuredAt author { name } } owner { name } }
      }
      children(first: 100) { nodes { title progress } }
    }
  }
}"""
# objectives; keyResults (each KR's owner joined in) and children, side by side in one
# statement; lastCheckIn (its author joined in)
NESTED_STATEMENTS = 3


class CountingConnection:
    """Passes everything to a real connection and counts the statements run."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.statements = 0

    async def fetch(self, query: str, *args: Any) -> Any:
        self.statements += 1
        return await self._conn.fetch(query, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def _organization_with(pool: asyncpg.Pool[Any], objectives: int) -> tuple[Identity, str]:
    from db.ids import encode_id

    slug = f"s-{uuid.uuid4().hex[:10]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, "Count AB", slug)
        owner = await add_member(conn, organization_id, "Owner", f"o+{slug}@t.example", "ADMIN")
        await objective_tree(conn, organization_id, owner, objectives)
        cycle_id = await conn.fetchval(
            "SELECT id FROM cycle WHERE organization_id = $1", organization_id
        )
    return Identity(organization_id, owner, "UTC", "ADMIN"), encode_id("Cycle", cycle_id)


async def _run(pool: asyncpg.Pool[Any], identity: Identity, cycle: str, n: int) -> tuple[int, Any]:
    async with pool.acquire() as conn:
        counting = CountingConnection(conn)
        ctx = RequestContext(
            settings=Settings(),
            identity=identity,
            read=ReadContext(
                identity.organization_id, identity.user_id, dt.datetime.now(dt.UTC), "UTC"
            ),
            request_id="test",
            conn=counting,  # type: ignore[arg-type]
        )
        body = await executor.execute(ctx, ctx.settings, NESTED, None, {"cycle": cycle, "n": n})
    return counting.statements, body


async def test_statement_count_does_not_grow_with_rows(pool: asyncpg.Pool[Any]) -> None:
    # given organisations with 5 and with 50 objectives in a cycle
    small, small_cycle = await _organization_with(pool, 5)
    large, large_cycle = await _organization_with(pool, 50)
    # when the same nested query reads all of them
    small_count, small_body = await _run(pool, small, small_cycle, 100)
    large_count, large_body = await _run(pool, large, large_cycle, 100)
    # then both take one statement per relation of the selection
    assert len(small_body["data"]["objectives"]["nodes"]) == 5
    assert len(large_body["data"]["objectives"]["nodes"]) == 50
    assert small_count == large_count == NESTED_STATEMENTS
    first = large_body["data"]["objectives"]["nodes"][0]
    assert len(first["children"]["nodes"]) == 49
    assert all(
        len(o["keyResults"]["nodes"]) == 2 for o in large_body["data"]["objectives"]["nodes"]
    )


def test_a_total_by_cycle_and_status_sums_counts_instead_of_counting_rows() -> None:
    from db.planner.sql import connection_sql

    def total_of(relation: str, filters: tuple[str, ...]) -> str:
        sql = connection_sql(relation, ("id",), filters, "title", True, True)
        return sql.split(" CROSS JOIN LATERAL (", 1)[1].split(") n", 1)[0]

    # A list page's filters (the W4 shape), a cycle's own objectives, and no filter at all:
    # a few rows of objective_count (alembic 0015), whatever the number of objectives.
    for relation, filters in (
        ("objectives", ("cycle", "status")),
        ("objectives", ()),
        ("cycle.objectives", ("status",)),
    ):
        assert "FROM objective_count c" in total_of(relation, filters)
    # Any other filter, or a link the counts have no key for, counts the rows themselves.
    for relation, filters in (
        ("objectives", ("cycle", "team")),
        ("objectives", ("roots_only",)),
        ("team.objectives", ()),
        ("objective.children", ()),
    ):
        assert total_of(relation, filters).startswith("SELECT count(*) AS total FROM objective t")


LIST_PAGE = """query ($cycle: ID!) {
  objectives(filter: {cycleId: $cycle, status: [ACTIVE]}, orderBy: {field: TITLE}, first: 50) {
    nodes { title ownerTeam { name } }
  }
}"""


class RecordingConnection(CountingConnection):
    """Counts, and keeps each statement with its arguments."""

    def __init__(self, conn: Any) -> None:
        super().__init__(conn)
        self.fetched: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, query: str, *args: Any) -> Any:
        self.fetched.append((query, args))
        return await super().fetch(query, *args)


async def _literal(conn: Any, value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        array = [None if v is None else str(v) for v in value]
        return str(await conn.fetchval("SELECT quote_literal($1::text[]::text)", array))
    return str(await conn.fetchval("SELECT quote_literal($1::text)", str(value)))


async def test_a_list_page_reads_by_key_in_its_generic_plan(
    pool: asyncpg.Pool[Any], database_url: str
) -> None:
    from db.ids import encode_id
    from db.pool import create_pool

    # given an organisation of 200 teams, a cycle of team objectives, and fresh statistics
    identity, _ = await _organization_with(pool, 0)
    organization_id = identity.organization_id
    async with pool.acquire() as conn, conn.transaction():
        cycle_id = await conn.fetchval(
            """INSERT INTO cycle (organization_id, name, starts_on, ends_on)
               VALUES ($1, 'Teams', '2026-10-01', '2026-12-31') RETURNING id""",
            organization_id,
        )
        await conn.execute(
            """WITH teams AS (
                 INSERT INTO team (organization_id, name)
                 SELECT $1, 'Team ' || n FROM generate_series(1, 200) AS n RETURNING id)
               INSERT INTO objective (organization_id, cycle_id, level, owner_team_id, title)
               SELECT $1, $2, 'TEAM', id, 'Objective of team ' || id FROM teams""",
            organization_id,
            cycle_id,
        )
        await conn.execute("ANALYZE team; ANALYZE objective")
    # when a list page with each objective's owner team is read on a connection of the API's
    settings = Settings()
    app_pool = await create_pool(
        database_url,
        min_size=1,
        max_size=1,
        role=settings.database_role,
        random_page_cost=settings.random_page_cost,
    )
    try:
        async with app_pool.acquire() as conn:
            recording = RecordingConnection(conn)
            ctx = RequestContext(
                settings=settings,
                identity=identity,
                read=ReadContext(organization_id, identity.user_id, dt.datetime.now(dt.UTC), "UTC"),
                request_id="test",
                conn=recording,  # type: ignore[arg-type]
            )
            body = await executor.execute(
                ctx, settings, LIST_PAGE, None, {"cycle": encode_id("Cycle", cycle_id)}
            )
            assert len(body["data"]["objectives"]["nodes"]) == 50
            [(sql, args)] = recording.fetched
            async with tenant_transaction(conn, organization_id, mode="read", generic_plans=True):
                await conn.execute(f"PREPARE page AS {sql}")
                values = [await _literal(conn, a) for a in args]
                plan = "\n".join(
                    r[0] for r in await conn.fetch(f"EXPLAIN EXECUTE page({', '.join(values)})")
                )
                await conn.execute("DEALLOCATE page")
    finally:
        await app_pool.close()
    # then the page is read in the cycle's title order (alembic 0016), not in every cycle's
    assert "Index Scan using objective_cycle_title_idx on objective" in plan
    # and each owner team is one probe of the team's key, not a scan of the organisation's
    # teams (the plan with PostgreSQL's default random_page_cost, 4.0)
    assert "Index Scan using team_pkey on team" in plan
    assert "Seq Scan on team" not in plan
