"""An invitation's status has its rule in domain/members.py and, for filtering pages, its SQL
form in db/catalog.py: both must answer alike for every state."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest

from db.catalog import SOURCES
from domain.members import InvitationStatus, invitation_status

_NOW = dt.datetime(2026, 12, 7, 12, tzinfo=dt.UTC)
_DAY = dt.timedelta(days=1)
CASES = [
    (None, None, _NOW + _DAY),
    (None, None, _NOW - _DAY),
    (None, None, _NOW),
    (_NOW - _DAY, None, _NOW - _DAY),
    (_NOW - _DAY, None, _NOW + _DAY),
    (None, _NOW - _DAY, _NOW + _DAY),
    (None, _NOW - _DAY, _NOW - _DAY),
]


@pytest.mark.parametrize(("accepted", "revoked", "expires"), CASES)
async def test_the_sql_filter_agrees_with_the_domain_rule(
    pool: asyncpg.Pool[Any],
    accepted: dt.datetime | None,
    revoked: dt.datetime | None,
    expires: dt.datetime,
) -> None:
    # The rule's clock stands in for the statement's now().
    predicate = (
        SOURCES["invitation"].filters["status"].sql.format("ARRAY[s]").replace("now()", "$4")
    )
    expected = invitation_status(accepted, revoked, expires, _NOW)
    matches = await pool.fetch(
        f"""SELECT s FROM unnest($5::text[]) s, LATERAL (
              SELECT $1::timestamptz AS accepted_at, $2::timestamptz AS revoked_at,
                     $3::timestamptz AS expires_at) t
            WHERE {predicate}""",
        accepted,
        revoked,
        expires,
        _NOW,
        [s.value for s in InvitationStatus],
    )
    assert [row["s"] for row in matches] == [expected.value]
