"""Derived progress columns on a real PostgreSQL: latest check-ins, objective progress, the walk
up the alignment DAG, and recompute_all as the oracle of the incremental path."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import asyncpg
import pytest
import pytest_asyncio
from asyncpg.pool import PoolConnectionProxy

from db.pool import create_pool
from db.queries import query
from services.progress import recompute_all, refresh_key_results, refresh_objectives
from tests.conftest import fresh_database

ROOT = Path(__file__).resolve().parents[2]

Conn: TypeAlias = "PoolConnectionProxy[Any]"


@pytest_asyncio.fixture(scope="module")
async def pool(server_url: str) -> AsyncIterator[asyncpg.Pool[Any]]:
    """A freshly migrated database of its own for this module, dropped afterwards."""
    async with fresh_database(server_url) as url:
        db_pool = await create_pool(url, min_size=1, max_size=4)
        try:
            yield db_pool
        finally:
            await db_pool.close()


@pytest_asyncio.fixture
async def conn(pool: asyncpg.Pool[Any]) -> AsyncIterator[Conn]:
    """A connection in a transaction that is rolled back after the test.

    Deferred constraints (key_result.last_check_in_id) are checked before the rollback, as a
    commit would, so a dangling reference still fails the test.
    """
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        try:
            yield connection
            await connection.execute("SET CONSTRAINTS ALL IMMEDIATE")
        finally:
            await transaction.rollback()


# --- building a small organisation by SQL --------------------------------------------------


@dataclass(frozen=True)
class Org:
    id: int
    user_id: int
    cycle_id: int


Q4 = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)


def day(n: int) -> dt.datetime:
    """Noon UTC of the n-th day of Q4 2026 (day 0 is 1 October)."""
    return Q4 + dt.timedelta(days=n, hours=12)


async def make_org(conn: Conn) -> Org:
    key = uuid.uuid4().hex[:12]
    org_id = await conn.fetchval(
        "INSERT INTO organization (name, slug) VALUES ('Test AB', $1) RETURNING id", f"t-{key}"
    )
    user_id = await conn.fetchval(
        "INSERT INTO app_user (name, email) VALUES ('Tess Tester', $1) RETURNING id",
        f"tess-{key}@test.example",
    )
    await conn.execute(
        "INSERT INTO membership (organization_id, user_id) VALUES ($1, $2)", org_id, user_id
    )
    cycle_id = await conn.fetchval(
        """INSERT INTO cycle (organization_id, name, starts_on, ends_on)
           VALUES ($1, 'Q4 2026', '2026-10-01', '2026-12-31') RETURNING id""",
        org_id,
    )
    return Org(org_id, user_id, cycle_id)


async def make_objective(conn: Conn, org: Org, title: str, source: str = "KEY_RESULTS") -> int:
    objective_id: int = await conn.fetchval(
        """INSERT INTO objective (organization_id, cycle_id, level, title, progress_source)
           VALUES ($1, $2, 'COMPANY', $3, $4::progress_source) RETURNING id""",
        org.id,
        org.cycle_id,
        title,
        source,
    )
    return objective_id


async def make_key_result(
    conn: Conn,
    org: Org,
    objective_id: int,
    *,
    kind: str = "NUMERIC",
    start: str | None = "0",
    target: str | None = "100",
    direction: str | None = None,
    weight: str = "1",
) -> int:
    key_result_id: int = await conn.fetchval(
        """INSERT INTO key_result (organization_id, objective_id, owner_user_id, title, kind,
                                   start_value, target_value, threshold_direction, weight)
           VALUES ($1, $2, $3, 'A key result', $4::key_result_kind, $5, $6,
                   $7::threshold_direction, $8)
           RETURNING id""",
        org.id,
        objective_id,
        org.user_id,
        kind,
        start,
        target,
        direction,
        weight,
    )
    return key_result_id


async def check_in(
    conn: Conn,
    org: Org,
    key_result_id: int,
    measured_at: dt.datetime,
    *,
    value: str | None = None,
    done: bool | None = None,
) -> int:
    check_in_id: int = await conn.fetchval(
        """INSERT INTO check_in (organization_id, key_result_id, author_id, value, done,
                                 confidence, measured_at)
           VALUES ($1, $2, $3, $4, $5, 'ON_TRACK', $6) RETURNING id""",
        org.id,
        key_result_id,
        org.user_id,
        value,
        done,
        measured_at,
    )
    return check_in_id


async def align(conn: Conn, org: Org, child: int, parent: int, weight: str = "1") -> None:
    await conn.execute(
        """INSERT INTO alignment (organization_id, child_objective_id, parent_objective_id, weight)
           VALUES ($1, $2, $3, $4)""",
        org.id,
        child,
        parent,
        weight,
    )


async def progress_of(conn: Conn, org: Org, objective_id: int) -> float | None:
    value: str | None = await conn.fetchval(
        "SELECT progress FROM objective WHERE organization_id = $1 AND id = $2",
        org.id,
        objective_id,
    )
    return None if value is None else float(value)


async def key_result_row(conn: Conn, org: Org, key_result_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        """SELECT current_value, done, last_check_in_id, last_measured_at
           FROM key_result WHERE organization_id = $1 AND id = $2""",
        org.id,
        key_result_id,
    )
    assert row is not None
    return dict(row)


async def check_in_and_refresh(
    conn: Conn, org: Org, objective_id: int, key_result_id: int, measured_at: dt.datetime, **kw: Any
) -> int:
    """What the check-in service does after validating: insert, refresh the KR, then objectives."""
    check_in_id = await check_in(conn, org, key_result_id, measured_at, **kw)
    await refresh_key_results(conn, org.id, [key_result_id])
    await refresh_objectives(conn, org.id, [objective_id])
    return check_in_id


# --- key results -----------------------------------------------------------------------------


async def test_latest_check_in_is_the_latest_measured_not_the_latest_recorded(conn: Conn) -> None:
    # given a decrease KR (cost per lead 1300 -> 1170) with two check-ins, then a back-dated one
    org = await make_org(conn)
    objective = await make_objective(conn, org, "Grow leads")
    kr = await make_key_result(conn, org, objective, start="1300", target="1170")
    await check_in(conn, org, kr, day(10), value="1282")
    newest = await check_in(conn, org, kr, day(40), value="1235")
    await check_in(conn, org, kr, day(5), value="1299.5")

    # when the KR and its objective are refreshed
    await refresh_key_results(conn, org.id, [kr])
    await refresh_objectives(conn, org.id, [objective])

    # then the newest measurement wins, and (1235 - 1300) / (1170 - 1300) = 0.5
    assert await key_result_row(conn, org, kr) == {
        "current_value": "1235",
        "done": False,
        "last_check_in_id": newest,
        "last_measured_at": day(40),
    }
    assert await progress_of(conn, org, objective) == pytest.approx(0.5)


async def test_equal_measured_times_are_ordered_by_id(conn: Conn) -> None:
    org = await make_org(conn)
    objective = await make_objective(conn, org, "O")
    kr = await make_key_result(conn, org, objective)
    await check_in(conn, org, kr, day(3), value="10")
    second = await check_in(conn, org, kr, day(3), value="20")

    await refresh_key_results(conn, org.id, [kr])

    row = await key_result_row(conn, org, kr)
    assert (row["current_value"], row["last_check_in_id"]) == ("20", second)


async def test_without_check_ins_the_columns_are_cleared(conn: Conn) -> None:
    # given a milestone marked done, whose only check-in is then deleted
    org = await make_org(conn)
    objective = await make_objective(conn, org, "O")
    milestone = await make_key_result(
        conn, org, objective, kind="MILESTONE", start=None, target=None
    )
    untouched = await make_key_result(conn, org, objective)
    await check_in_and_refresh(conn, org, objective, milestone, day(2), done=True)
    assert (await key_result_row(conn, org, milestone))["done"] is True
    assert await progress_of(conn, org, objective) == pytest.approx(0.5)

    await conn.execute("DELETE FROM check_in WHERE organization_id = $1", org.id)
    await refresh_key_results(conn, org.id, [milestone, untouched])
    await refresh_objectives(conn, org.id, [objective])

    empty = {
        "current_value": None,
        "done": False,
        "last_check_in_id": None,
        "last_measured_at": None,
    }
    assert await key_result_row(conn, org, milestone) == empty
    assert await key_result_row(conn, org, untouched) == empty
    # a numeric KR without check-ins counts as current = start: scored 0, not left out
    assert await progress_of(conn, org, objective) == pytest.approx(0.0)


async def test_refresh_is_scoped_to_the_organisation(conn: Conn) -> None:
    org = await make_org(conn)
    other = await make_org(conn)
    objective = await make_objective(conn, org, "O")
    kr = await make_key_result(conn, org, objective)
    await check_in(conn, org, kr, day(1), value="30")

    await refresh_key_results(conn, other.id, [kr])
    await refresh_objectives(conn, other.id, [objective])

    assert (await key_result_row(conn, org, kr))["current_value"] is None
    assert await progress_of(conn, org, objective) is None


# --- objectives ------------------------------------------------------------------------------


async def test_objective_progress_is_the_weighted_mean_of_scores(conn: Conn) -> None:
    # given a numeric KR overshooting its target (score clamped to 1, weight 1), a threshold KR
    # that is missed (0, weight 3) and a numeric KR halfway (0.5, weight 4)
    org = await make_org(conn)
    objective = await make_objective(conn, org, "O")
    over = await make_key_result(conn, org, objective, start="0", target="10")
    threshold = await make_key_result(
        conn,
        org,
        objective,
        kind="THRESHOLD",
        start=None,
        target="2",
        direction="AT_MOST",
        weight="3",
    )
    half = await make_key_result(conn, org, objective, start="-10", target="10", weight="4")
    await check_in(conn, org, over, day(1), value="15")
    await check_in(conn, org, threshold, day(1), value="2.5")
    await check_in(conn, org, half, day(1), value="0")

    await refresh_key_results(conn, org.id, [over, threshold, half])
    await refresh_objectives(conn, org.id, [objective])

    assert await progress_of(conn, org, objective) == pytest.approx((1 + 0 + 0.5 * 4) / 8)


async def test_an_objective_without_key_results_has_no_progress(conn: Conn) -> None:
    org = await make_org(conn)
    objective = await make_objective(conn, org, "O")

    await refresh_objectives(conn, org.id, [objective])

    assert await progress_of(conn, org, objective) is None


async def test_progress_propagates_up_two_levels_to_children_driven_parents(conn: Conn) -> None:
    # given company (CHILDREN) <- department (BOTH, own KR) <- team (KEY_RESULTS), plus a
    # KEY_RESULTS-driven parent of the team that must not move
    org = await make_org(conn)
    company = await make_objective(conn, org, "Company", "CHILDREN")
    department = await make_objective(conn, org, "Department", "BOTH")
    team = await make_objective(conn, org, "Team")
    unrelated_parent = await make_objective(conn, org, "KR-driven parent")
    await align(conn, org, department, company)
    await align(conn, org, team, department, weight="3")
    await align(conn, org, team, unrelated_parent)
    department_kr = await make_key_result(conn, org, department)
    team_kr = await make_key_result(conn, org, team)
    await check_in_and_refresh(conn, org, department, department_kr, day(1), value="20")
    assert await progress_of(conn, org, department) == pytest.approx(0.2)
    assert await progress_of(conn, org, company) == pytest.approx(0.2)

    # when the team checks in
    await check_in_and_refresh(conn, org, team, team_kr, day(2), value="60")

    # then the department pools its KR (0.2, weight 1) with the team (0.6, alignment weight 3)
    assert await progress_of(conn, org, team) == pytest.approx(0.6)
    assert await progress_of(conn, org, department) == pytest.approx((0.2 + 0.6 * 3) / 4)
    assert await progress_of(conn, org, company) == pytest.approx((0.2 + 0.6 * 3) / 4)
    assert await progress_of(conn, org, unrelated_parent) is None


async def test_a_parent_reached_by_paths_of_different_lengths_sees_its_children_updated(
    conn: Conn,
) -> None:
    # given team -> department -> company and team -> company directly (both parents CHILDREN)
    org = await make_org(conn)
    company = await make_objective(conn, org, "Company", "CHILDREN")
    department = await make_objective(conn, org, "Department", "CHILDREN")
    team = await make_objective(conn, org, "Team")
    other_team = await make_objective(conn, org, "Other team")
    await align(conn, org, team, department)
    await align(conn, org, other_team, department)
    await align(conn, org, department, company)
    await align(conn, org, team, company)
    team_kr = await make_key_result(conn, org, team)
    other_kr = await make_key_result(conn, org, other_team)
    await check_in_and_refresh(conn, org, other_team, other_kr, day(1), value="100")

    await check_in_and_refresh(conn, org, team, team_kr, day(2), value="40")

    # department = mean(0.4, 1.0) = 0.7; company = mean(department 0.7, team 0.4) = 0.55
    assert await progress_of(conn, org, department) == pytest.approx(0.7)
    assert await progress_of(conn, org, company) == pytest.approx(0.55)


async def test_children_without_progress_are_left_out(conn: Conn) -> None:
    org = await make_org(conn)
    parent = await make_objective(conn, org, "Parent", "CHILDREN")
    measured = await make_objective(conn, org, "Measured")
    unmeasured = await make_objective(conn, org, "No key results")
    await align(conn, org, measured, parent)
    await align(conn, org, unmeasured, parent)
    kr = await make_key_result(conn, org, measured)

    await check_in_and_refresh(conn, org, measured, kr, day(1), value="80")
    await refresh_objectives(conn, org.id, [unmeasured])

    assert await progress_of(conn, org, parent) == pytest.approx(0.8)


# --- recompute_all ---------------------------------------------------------------------------


async def _snapshot(conn: Conn, org: Org) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    objectives = await conn.fetch(
        "SELECT id, progress FROM objective WHERE organization_id = $1 ORDER BY id", org.id
    )
    key_results = await conn.fetch(
        """SELECT id, current_value, done, last_check_in_id, last_measured_at, last_confidence,
                  next_check_in_due
           FROM key_result WHERE organization_id = $1 ORDER BY id""",
        org.id,
    )
    return [dict(r) for r in objectives], [dict(r) for r in key_results]


async def test_recompute_all_agrees_with_incremental_refreshes(conn: Conn) -> None:
    # given a small tree maintained incrementally through a series of writes
    org = await make_org(conn)
    company = await make_objective(conn, org, "Company", "BOTH")
    marketing = await make_objective(conn, org, "Marketing", "CHILDREN")
    sales = await make_objective(conn, org, "Sales", "BOTH")
    seo = await make_objective(conn, org, "SEO")
    leads = await make_objective(conn, org, "Leads")
    empty = await make_objective(conn, org, "Not measured yet")
    await align(conn, org, marketing, company, weight="2")
    await align(conn, org, sales, company)
    await align(conn, org, seo, marketing)
    await align(conn, org, leads, marketing, weight="2")
    await align(conn, org, leads, sales)
    await align(conn, org, empty, sales)
    revenue = await make_key_result(conn, org, company, start="1500000", target="2500000")
    deal_size = await make_key_result(conn, org, sales, start="12000", target="13200")
    audit = await make_key_result(conn, org, seo, kind="MILESTONE", start=None, target=None)
    rating = await make_key_result(conn, org, seo, start="32", target="48", weight="2")
    cost = await make_key_result(conn, org, leads, start="1300", target="1170")
    posts = await make_key_result(
        conn, org, leads, kind="THRESHOLD", start=None, target="7", direction="AT_LEAST"
    )
    await check_in_and_refresh(conn, org, company, revenue, day(3), value="1800000")
    await check_in_and_refresh(conn, org, sales, deal_size, day(4), value="12600")
    await check_in_and_refresh(conn, org, seo, audit, day(5), done=True)
    await check_in_and_refresh(conn, org, seo, rating, day(6), value="40")
    await check_in_and_refresh(conn, org, leads, cost, day(20), value="1250")
    await check_in_and_refresh(conn, org, leads, cost, day(7), value="1290")  # back-dated
    await check_in_and_refresh(conn, org, leads, posts, day(8), value="8")
    await check_in_and_refresh(conn, org, leads, posts, day(9), value="5")
    incremental = await _snapshot(conn, org)
    assert all(o["progress"] is not None for o in incremental[0] if o["id"] != empty)

    # when every derived column is wiped and rebuilt from scratch
    await conn.execute(
        """UPDATE key_result SET current_value = NULL, done = false, last_check_in_id = NULL,
                                 last_measured_at = NULL, last_confidence = NULL,
                                 next_check_in_due = NULL
           WHERE organization_id = $1""",
        org.id,
    )
    await conn.execute("UPDATE objective SET progress = NULL WHERE organization_id = $1", org.id)
    await recompute_all(conn, org.id)

    # then both paths agree
    assert await _snapshot(conn, org) == incremental


# --- concurrency -----------------------------------------------------------------------------


async def test_concurrent_check_ins_on_one_key_result_keep_the_newest(
    pool: asyncpg.Pool[Any],
) -> None:
    # given a KR in committed rows, and two transactions checking in on it at the same time:
    # the first with the newer measurement, the second back-dated
    async with pool.acquire() as setup:
        org = await make_org(setup)
        objective = await make_objective(setup, org, "O")
        kr = await make_key_result(setup, org, objective)
    try:
        async with pool.acquire() as first, pool.acquire() as second:
            t1, t2 = first.transaction(), second.transaction()
            await t1.start()
            await t2.start()
            newest = await check_in_and_refresh(first, org, objective, kr, day(9), value="90")
            # (inserting takes only FOR KEY SHARE on the KR: it does not wait for the first)
            await asyncio.wait_for(check_in(second, org, kr, day(8), value="80"), timeout=5)
            # the second refresh waits for the first transaction's lock on the KR ...
            waiting = asyncio.create_task(refresh_key_results(second, org.id, [kr]))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            await t1.commit()
            # ... and then reads the committed check-in rather than its stale snapshot
            await asyncio.wait_for(waiting, timeout=5)
            await refresh_objectives(second, org.id, [objective])
            await t2.commit()
        async with pool.acquire() as check:
            row = await key_result_row(check, org, kr)
            assert (row["current_value"], row["last_check_in_id"]) == ("90", newest)
            assert await progress_of(check, org, objective) == pytest.approx(0.9)
    finally:
        async with pool.acquire() as cleanup:
            await cleanup.execute("DELETE FROM organization WHERE id = $1", org.id)


async def test_a_check_in_waiting_for_a_sibling_s_objective_lock_scores_the_sibling_s_value(
    pool: asyncpg.Pool[Any],
) -> None:
    """The check-in service reads an objective's progress inputs in the statement that appends
    the check-in: it must start after the objective's lock is granted, so a sibling key result
    written by the transaction it waited for is scored with its committed value."""
    from decimal import Decimal

    from domain.check_ins import Confidence, CreateCheckIn
    from services.check_ins import create_check_in
    from services.identity import Identity

    async with pool.acquire() as setup:
        org = await make_org(setup)
        objective = await make_objective(setup, org, "O")
        first = await make_key_result(setup, org, objective)
        second = await make_key_result(setup, org, objective)
    identity = Identity(org.id, org.user_id, "UTC", "ADMIN")
    command = CreateCheckIn(key_result_id=second, value=Decimal(40), confidence=Confidence.ON_TRACK)
    try:
        async with pool.acquire() as sibling, pool.acquire() as conn:
            # given a transaction that holds the objective and has moved the first KR to 80
            holding = sibling.transaction()
            await holding.start()
            await sibling.execute(
                "SELECT 1 FROM objective WHERE organization_id = $1 AND id = $2 FOR NO KEY UPDATE",
                org.id,
                objective,
            )
            await sibling.execute(
                "UPDATE key_result SET current_value = 80 WHERE organization_id = $1 AND id = $2",
                org.id,
                first,
            )
            # when a check-in on the second KR starts, it waits for the objective ...
            waiting = asyncio.create_task(create_check_in(conn, identity, command, day(30)))
            await asyncio.sleep(0.2)
            assert not waiting.done()
            await holding.commit()
            await asyncio.wait_for(waiting, timeout=5)
        # ... and then scores both: (0.8 + 0.4) / 2
        async with pool.acquire() as check:
            assert await progress_of(check, org, objective) == pytest.approx(0.6)
    finally:
        async with pool.acquire() as cleanup:
            await cleanup.execute("DELETE FROM organization WHERE id = $1", org.id)


async def test_recording_a_check_in_does_not_read_the_history(conn: Conn) -> None:
    # The new latest check-in is the later of the key result's current latest and the new one
    # (db/sql/check_ins.sql: record_check_in), so a key result with years of weekly check-ins
    # costs what a new one does: no scan of its check-ins by key result.
    org = await make_org(conn)
    objective_id = await make_objective(conn, org, "Historik")
    key_result_id = await make_key_result(conn, org, objective_id)
    # a history long enough for PostgreSQL to plan as it would for a real organisation
    await conn.execute(
        """INSERT INTO check_in (organization_id, key_result_id, author_id, value, confidence,
                                 measured_at)
           SELECT $1, $2, $3, n, 'ON_TRACK', $4::timestamptz + n * interval '1 hour'
           FROM generate_series(1, 5000) AS n""",
        org.id,
        key_result_id,
        org.user_id,
        day(0),
    )
    await refresh_key_results(conn, org.id, [key_result_id])
    await conn.execute("ANALYZE check_in; ANALYZE key_result")
    # As the API runs its statements (db/tenancy.py: generic_plans).
    await conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
    types = (
        "bigint, bigint, bigint, numeric, boolean, text, text, timestamptz, timestamptz,"
        " timestamptz, text, jsonb, bigint, bigint, boolean"
    )
    await conn.execute(f"PREPARE record({types}) AS {query('check_ins', 'record_check_in')}")
    ids = f"{org.id:d}, {key_result_id:d}, {org.user_id:d}"
    explain = (
        f"EXPLAIN EXECUTE record({ids}, 1, NULL, 'ON_TRACK', NULL, now(), now(), now(),"
        f" 'check_in.created', '{{}}', {objective_id:d}, NULL, true)"
    )
    plan = "\n".join(r[0] for r in await conn.fetch(explain))
    await conn.execute("DEALLOCATE record")
    assert "check_in_pkey" in plan  # the current latest, by its id
    assert "check_in_key_result_idx" not in plan
