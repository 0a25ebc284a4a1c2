"""The demo organisation (`okrql seed demo`) on a real PostgreSQL."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeAlias
from zoneinfo import ZoneInfo

import asyncpg
import pytest
import pytest_asyncio
from asyncpg.pool import PoolConnectionProxy

from db import demo_data as data
from db.pool import create_pool
from domain.check_ins import is_overdue, next_check_in_due
from domain.key_results import progress
from services.demo import seed_demo
from services.progress import recompute_all
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]
# The seed guides sit beside the project (shared/seeds) on developer and CI machines.
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"

Conn: TypeAlias = "PoolConnectionProxy[Any]"
# "Today" in the demo's story.
TODAY = dt.datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo(data.TIME_ZONE))
TABLES = (
    "organization",
    "app_user",
    "membership",
    "team",
    "team_member",
    "cycle",
    "objective",
    "key_result",
    "alignment",
    "check_in",
    "event",
)


@pytest_asyncio.fixture(scope="module")
async def pool(server_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A freshly migrated database of its own for this module, dropped afterwards."""
    async with fresh_database(server_url) as url:
        db_pool = await create_pool(url, min_size=1, max_size=4)
        try:
            yield db_pool
        finally:
            await db_pool.close()


@pytest_asyncio.fixture(scope="module")
async def organization_id(pool: asyncpg.Pool[Any]) -> int:
    """The demo organisation, seeded (and committed) once for the module."""
    async with pool.acquire() as conn:
        return await seed_demo(conn)


@contextlib.asynccontextmanager
async def rolled_back(pool: asyncpg.Pool[Any]) -> AsyncIterator[Conn]:
    """A connection in a transaction that is rolled back, so the seeded data stays as seeded.

    Deferred constraints are checked first, as a commit would."""
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            yield conn
            await conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
        finally:
            await transaction.rollback()


async def _counts(conn: Conn) -> dict[str, int]:
    # Table names come from the constant above, never from input.
    return {table: await conn.fetchval(f"SELECT count(*) FROM {table}") for table in TABLES}


async def _progress_of(conn: Conn, organization_id: int, title: str) -> str | None:
    value: str | None = await conn.fetchval(
        "SELECT progress FROM objective WHERE organization_id = $1 AND title = $2",
        organization_id,
        title,
    )
    return value


async def _derived(conn: Conn, organization_id: int) -> list[Any]:
    objectives = await conn.fetch(
        "SELECT id, progress FROM objective WHERE organization_id = $1 ORDER BY id",
        organization_id,
    )
    key_results = await conn.fetch(
        """SELECT id, current_value, done, last_check_in_id, last_measured_at FROM key_result
           WHERE organization_id = $1 ORDER BY id""",
        organization_id,
    )
    return [dict(r) for r in [*objectives, *key_results]]


async def test_seeding_twice_creates_nothing_new(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with pool.acquire() as conn:
        before = await _counts(conn)
        derived_before = await _derived(conn, organization_id)

        again = await seed_demo(conn)

        assert again == organization_id
        assert await _counts(conn) == before
        assert await _derived(conn, organization_id) == derived_before
    # and the first run wrote exactly the demo data, without events (seeding is no user change)
    key_results = [kr for o in data.OBJECTIVES for kr in o.key_results]
    assert before == {
        "organization": 1,
        "app_user": len(data.USERS),
        "membership": len(data.USERS),
        "team": len(data.TEAMS),
        "team_member": sum(len(t.members) for t in data.TEAMS),
        "cycle": len(data.CYCLES),
        "objective": len(data.OBJECTIVES),
        "key_result": len(key_results),
        "alignment": sum(len(o.supports) for o in data.OBJECTIVES),
        "check_in": sum(len(kr.check_ins) for kr in key_results),
        "event": 0,
    }


async def test_a_partly_seeded_organisation_is_completed(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with rolled_back(pool) as conn:
        # given the demo without its Swedish team and that team's objective (and so without
        # its key results, check-ins and alignment)
        before = await _counts(conn)
        progress_before = await _progress_of(conn, organization_id, data.SWEDISH_OBJECTIVE)
        await conn.execute(
            "DELETE FROM objective WHERE organization_id = $1 AND title = $2",
            organization_id,
            data.SWEDISH_OBJECTIVE,
        )
        await conn.execute(
            "DELETE FROM team WHERE organization_id = $1 AND name = $2",
            organization_id,
            data.DEMAND_GENERATION,
        )

        await seed_demo(conn)

        # then it is restored, with its progress
        assert await _counts(conn) == before
        assert progress_before is not None
        assert await _progress_of(conn, organization_id, data.SWEDISH_OBJECTIVE) == progress_before


async def test_a_fresh_demo_has_the_ids_the_readme_names(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    """README.md's examples name demo rows by global id ("Type:pk"): seeding gives them the
    same primary keys on every fresh database."""
    named = {
        ("cycle", "name", 2): data.Q4,
        ("team", "name", 1): data.MARKETING,
        ("objective", "title", 15): data.SWEDISH_OBJECTIVE,
        ("key_result", "title", 57): data.COST_PER_LEAD_KR,
    }
    async with pool.acquire() as conn:
        for (table, column, pk), expected in named.items():
            found = await conn.fetchval(
                f"SELECT {column} FROM {table} WHERE organization_id = $1 AND id = $2",
                organization_id,
                pk,
            )
            assert found == expected, (table, pk)
        people = await conn.fetch("SELECT id, email FROM app_user WHERE id IN (8, 9) ORDER BY id")
        assert [r["email"] for r in people] == [data.MAJA, data.FEMKE]


async def test_a_demo_seeded_before_external_ids_gets_them(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    """The README's integration examples push values to the demo's external ids."""
    wanted = {
        kr.external_id: kr.title
        for o in data.OBJECTIVES
        for kr in o.key_results
        if kr.external_id is not None
    }
    assert set(wanted) == {"hubspot-deals-q4", "mailchimp-open-rate", "content-audit"}
    select = (
        "SELECT external_id, title FROM key_result"
        " WHERE organization_id = $1 AND external_id IS NOT NULL"
    )
    async with rolled_back(pool) as conn:
        assert dict(await conn.fetch(select, organization_id)) == wanted
        # given a demo seeded before its key results had external ids
        await conn.execute(
            "UPDATE key_result SET external_id = NULL WHERE organization_id = $1", organization_id
        )
        # when it is seeded again, then they have them
        await seed_demo(conn)
        assert dict(await conn.fetch(select, organization_id)) == wanted


async def test_the_swedish_team_text_round_trips_exactly(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with pool.acquire() as conn:
        objective = await conn.fetchrow(
            """SELECT o.title, o.description, t.name AS team, t.description AS team_description
               FROM objective AS o JOIN team AS t
                 ON t.organization_id = o.organization_id AND t.id = o.owner_team_id
               WHERE o.organization_id = $1 AND o.title = $2""",
            organization_id,
            data.SWEDISH_OBJECTIVE,
        )
        key_results = await conn.fetch(
            """SELECT kr.title FROM key_result AS kr
               JOIN objective AS o ON o.organization_id = kr.organization_id
                                  AND o.id = kr.objective_id
               WHERE kr.organization_id = $1 AND o.title = $2
               ORDER BY kr.position""",
            organization_id,
            data.SWEDISH_OBJECTIVE,
        )
    assert objective is not None
    assert dict(objective) == {
        "title": "Öka antalet leads för att stötta vår försäljningstillväxt",
        "description": (
            "Denna OKR fokuserar på att stötta försäljningen i bolaget genom att leverera leads."
        ),
        "team": data.DEMAND_GENERATION,
        "team_description": "Marknadsteam i en organisation under kraftig tillväxt",
    }
    assert [r["title"] for r in key_results] == [
        "Öka antalet leads till säljorganisationen från 250 till 350 per kvartal",
        "Minska kostnaden per lead med 10% (från 1300 kr till 1170 kr)",
        "Ta in 50 leads genom nya leadskanaler",
    ]


def test_the_swedish_texts_are_the_seeds_own_words() -> None:
    seed = next(SEEDS.glob("003_*.txt"), None) if SEEDS.is_dir() else None
    if seed is None:
        pytest.skip("the seed documents are not available here")
    text = seed.read_text(encoding="utf-8")
    swedish = next(o for o in data.OBJECTIVES if o.title == data.SWEDISH_OBJECTIVE)
    for phrase in (
        swedish.title,
        swedish.description or "",
        *(kr.title for kr in swedish.key_results),
        next(t for t in data.TEAMS if t.name == data.DEMAND_GENERATION).description or "",
    ):
        assert phrase in text


async def test_every_objective_with_key_results_has_progress(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """SELECT o.title, o.progress FROM objective AS o
               WHERE o.organization_id = $1
                 AND EXISTS (SELECT 1 FROM key_result AS kr
                             WHERE kr.organization_id = o.organization_id
                               AND kr.objective_id = o.id)""",
            organization_id,
        )
    assert len(rows) == len(data.OBJECTIVES)
    assert [r["title"] for r in rows if r["progress"] is None] == []
    # progress varies: some objectives ahead of the quarter's pace, some far behind
    values = sorted(float(r["progress"]) for r in rows)
    assert values[0] < 0.25
    assert values[-1] > 0.75


async def test_the_stored_progress_is_what_a_recomputation_gives(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with rolled_back(pool) as conn:
        stored = await _derived(conn, organization_id)
        await conn.execute(
            "UPDATE objective SET progress = NULL WHERE organization_id = $1", organization_id
        )

        await recompute_all(conn, organization_id)

        assert await _derived(conn, organization_id) == stored


async def test_the_decrease_key_result_follows_the_domain_rule(
    pool: asyncpg.Pool[Any], organization_id: int
) -> None:
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """SELECT kind::text, start_value, target_value, current_value,
                      threshold_direction::text, done, last_check_in_id
               FROM key_result WHERE organization_id = $1 AND title = $2""",
            organization_id,
            data.COST_PER_LEAD_KR,
        )
        assert row is not None
        back_dated_id = await conn.fetchval(
            """SELECT id FROM check_in
               WHERE organization_id = $1 AND key_result_id = (
                 SELECT id FROM key_result WHERE organization_id = $1 AND title = $2)
               ORDER BY recorded_at DESC LIMIT 1""",
            organization_id,
            data.COST_PER_LEAD_KR,
        )

    raw = progress(
        row["kind"],
        float(row["start_value"]),
        float(row["target_value"]),
        float(row["current_value"]),
        row["threshold_direction"],
        row["done"],
    )

    # 1300 kr -> 1170 kr, now 1235 kr: halfway; the back-dated 1244 kr (recorded last) does not
    # hide the newer value
    assert (row["start_value"], row["target_value"], row["current_value"]) == (
        "1300",
        "1170",
        "1235",
    )
    assert raw == pytest.approx((1235 - 1300) / (1170 - 1300)) == 0.5
    assert back_dated_id != row["last_check_in_id"]


async def test_the_story_of_the_quarter(pool: asyncpg.Pool[Any], organization_id: int) -> None:
    async with pool.acquire() as conn:
        key_results = await conn.fetch(
            """SELECT kr.title, kr.kind::text, kr.result_type::text, kr.cadence::text,
                      kr.done, kr.last_measured_at, kr.created_at, c.starts_on
               FROM key_result AS kr
               JOIN objective AS o ON o.organization_id = kr.organization_id
                                  AND o.id = kr.objective_id
               JOIN cycle AS c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
               WHERE kr.organization_id = $1""",
            organization_id,
        )
        bounds = await conn.fetchrow(
            """SELECT bool_and(ci.measured_at >= c.starts_on::timestamp AT TIME ZONE $2)
                        AS after_cycle_start,
                      max(ci.measured_at) AS last_measured,
                      max(ci.recorded_at) AS last_recorded
               FROM check_in AS ci
               JOIN key_result AS kr ON kr.organization_id = ci.organization_id
                                    AND kr.id = ci.key_result_id
               JOIN objective AS o ON o.organization_id = kr.organization_id
                                  AND o.id = kr.objective_id
               JOIN cycle AS c ON c.organization_id = o.organization_id AND c.id = o.cycle_id
               WHERE ci.organization_id = $1""",
            organization_id,
            data.TIME_ZONE,
        )
    assert bounds is not None
    assert bounds["after_cycle_start"] is True
    assert bounds["last_measured"] == dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
    assert bounds["last_recorded"] < TODAY

    overdue = [
        r["title"]
        for r in key_results
        if r["last_measured_at"] is not None
        and is_overdue(
            next_check_in_due(r["cadence"], r["last_measured_at"], r["created_at"]), TODAY
        )
    ]
    assert overdue == ["Hold business reviews with our 30 largest accounts"]
    assert [r["title"] for r in key_results if r["last_measured_at"] is None] == [
        "Identify 50 backlink sources to drive new referral traffic"
    ]
    assert any(r["kind"] == "MILESTONE" and r["done"] for r in key_results)
    assert {r["kind"] for r in key_results} == {"NUMERIC", "THRESHOLD", "MILESTONE"}
    assert {r["result_type"] for r in key_results} == {"RESULT", "ACTIVITY"}
    assert {r["cadence"] for r in key_results} == {"WEEKLY", "BIWEEKLY", "MONTHLY"}
