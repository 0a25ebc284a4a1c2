"""Migration 0021: events' references as global ids, in SQL as db/ids.py encodes them, for
the rows stored before it (and back when it is reverted)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from api.migrations import downgrade, upgrade
from db.ids import encode_id
from db.organizations import create_organization
from tests.conftest import fresh_database

# (type, before, after) as stored before migration 0021
RAW = [
    (
        "objective.updated",
        {"title": "A", "cycleId": 3, "ownerTeamId": None, "ownerUserId": 7},
        {"title": "B", "cycleId": 4, "ownerTeamId": 2, "ownerUserId": None},
    ),
    (
        "member.invited",
        None,
        {"email": "a@b.example", "teamIds": [1, 12], "invitationId": 9, "externalId": "x-1"},
    ),
    ("check_in.created", None, {"keyResultId": 57, "value": "1235", "keyResultExternalId": None}),
    ("objective.progress_changed", None, {"progress": 0.5}),
]
ENCODED = [
    (
        "objective.updated",
        {"title": "A", "cycleId": encode_id("Cycle", 3), "ownerTeamId": None,
         "ownerUserId": encode_id("User", 7)},
        {"title": "B", "cycleId": encode_id("Cycle", 4), "ownerTeamId": encode_id("Team", 2),
         "ownerUserId": None},
    ),
    (
        "member.invited",
        None,
        {"email": "a@b.example", "teamIds": [encode_id("Team", 1), encode_id("Team", 12)],
         "invitationId": encode_id("Invitation", 9), "externalId": "x-1"},
    ),
    (
        "check_in.created",
        None,
        {"keyResultId": encode_id("KeyResult", 57), "value": "1235", "keyResultExternalId": None},
    ),
    ("objective.progress_changed", None, {"progress": 0.5}),
]  # fmt: skip


@pytest.fixture
async def scratch_url(server_url: str) -> AsyncIterator[str]:
    async with fresh_database(server_url, migrate=False) as url:
        yield url


async def _events(conn: asyncpg.Connection[Any]) -> list[tuple[str, Any, Any]]:
    rows = await conn.fetch("SELECT type, before::text, after::text FROM event ORDER BY id")
    return [
        (r["type"], *(None if v is None else json.loads(v) for v in (r[1], r[2]))) for r in rows
    ]


async def test_the_sql_encoding_is_db_ids_encoding(pool: asyncpg.Pool[Any]) -> None:
    samples = [
        ("KeyResult", 57),
        ("User", 1),
        ("WebhookDeliveryAttempt", 2**63 - 1),
        # longer than base64's 76-character lines
        ("T" * 70, 123456789),
    ]
    for type_name, pk in samples:
        encoded = await pool.fetchval("SELECT okrql_global_id($1, $2)", type_name, pk)
        assert encoded == encode_id(type_name, pk), (type_name, pk)


async def test_stored_events_are_encoded_on_upgrade_and_decoded_on_downgrade(
    scratch_url: str,
) -> None:
    # given events stored with raw ids before migration 0021
    await asyncio.to_thread(upgrade, scratch_url, "0020")
    conn = await asyncpg.connect(scratch_url)
    try:
        organization_id = await create_organization(conn, "Old AB", "old-ab")
        for event_type, before, after in RAW:
            await conn.execute(
                "INSERT INTO event (organization_id, type, subject_type, subject_id, before,"
                " after) VALUES ($1, $2, 'Objective', 1, $3::jsonb, $4::jsonb)",
                organization_id,
                event_type,
                None if before is None else json.dumps(before),
                None if after is None else json.dumps(after),
            )
    finally:
        await conn.close()
    # when the database is migrated, then they name their references by global id
    await asyncio.to_thread(upgrade, scratch_url)
    conn = await asyncpg.connect(scratch_url)
    try:
        assert await _events(conn) == ENCODED
    finally:
        await conn.close()
    # and reverting the migration restores them as they were
    await asyncio.to_thread(downgrade, scratch_url, "0020")
    conn = await asyncpg.connect(scratch_url)
    try:
        assert await _events(conn) == RAW
    finally:
        await conn.close()
