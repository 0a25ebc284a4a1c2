"""`okrql seed demo`: the demo organisation, with its derived progress computed."""

from __future__ import annotations

from db.demo import write_demo
from db.progress import Connection
from services.progress import recompute_all


async def seed_demo(conn: Connection) -> int:
    """Create (or complete) the demo organisation in one transaction; returns its id.

    Idempotent: rows are found by natural keys, so a second run creates nothing.
    """
    async with conn.transaction():
        organization_id = await write_demo(conn)
        await recompute_all(conn, organization_id)
    return organization_id
