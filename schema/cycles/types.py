"""Cycles: the time boxes (a year, its quarters) objectives live in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from db.planner.mapping import Many, ReadContext, Row
from domain.cycles import expected_progress
from domain.permissions import may_administer
from schema import oracle
from schema.connections import Connection
from schema.fields import column, derived, mapped, node_id, to_one
from schema.node import Node
from schema.scalars import Date, DateTime

if TYPE_CHECKING:
    from schema.objectives.types import Objective


def _viewer_can_update(row: Row, ctx: ReadContext) -> bool:
    return may_administer(ctx.actor)


def _expected_progress(row: Row, ctx: ReadContext) -> float:
    return expected_progress(row["starts_on"], row["ends_on"], ctx.now, ctx.time_zone)


@strawberry.type(
    description="A time box for objectives; cycles may nest (a year and its quarters)."
)
class Cycle(Node):
    id: strawberry.ID = node_id("Cycle")
    name: str = column("name", "The cycle's name, unique in the organisation (e.g. 2026 Q4).")
    starts_on: Date = column("starts_on", "First day, in the organisation's time zone.")
    ends_on: Date = column("ends_on", "Last day (inclusive), in the organisation's time zone.")
    expected_progress: float = derived(
        _expected_progress,
        ("starts_on", "ends_on"),
        "The elapsed fraction of the cycle now, from 0 before it starts to 1 after it ends.",
    )
    parent_cycle: Cycle | None = to_one(
        "cycle", "parent_cycle_id", "The cycle this one is part of (a quarter's year), if any."
    )
    created_at: DateTime = column("created_at", "When the cycle was created.")
    version: int = column(
        "version", "Increases with every change; send it back to update without losing edits."
    )
    updated_at: DateTime = column("updated_at", "When the cycle last changed.")
    viewer_can_update: bool = derived(
        _viewer_can_update,
        ("id",),
        "Whether the caller may change this cycle (admins only), so a frontend can hide what"
        " would be FORBIDDEN.",
    )

    @strawberry.field(
        description="Cycles nested in this one, by start date.",
        metadata=mapped(Many("cycle.child_cycles")),
    )
    async def child_cycles(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Cycle]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Objectives of this cycle, oldest first.",
        metadata=mapped(Many("cycle.objectives")),
    )
    async def objectives(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[Objective, strawberry.lazy("schema.objectives.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]
