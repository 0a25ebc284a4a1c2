"""Cycle mutations: create, update, and close (every open objective of the cycle)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, TypedDict

import strawberry

from domain.cycles import CreateCycle, UpdateCycle
from domain.objectives import ACHIEVED_FROM, PARTIAL_ABOVE, CloseCycle
from schema.cycles.types import Cycle
from schema.errors import MANAGES_CYCLES, UserError
from schema.fields import to_one, value
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.scalars import Date
from services import objectives as objective_service
from services.cycles import create_cycle, update_cycle

if TYPE_CHECKING:
    from schema.context import RequestContext


@strawberry.input(description="A new cycle: a time box such as a year or a quarter.")
class CreateCycleInput:
    name: str = strawberry.field(
        description="Unique in the organisation (e.g. 2026 Q1); trimmed, at most 200 characters."
    )
    starts_on: Date = strawberry.field(description="First day, in the organisation's time zone.")
    ends_on: Date = strawberry.field(description="Last day (inclusive), after the first day.")
    parent_cycle_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The cycle this one is part of (a quarter's year); it must hold this"
        " cycle's days.",
    )


@strawberry.input(
    description="Changes to a cycle: fields left out keep their values; only the parent can be"
    " cleared (null)."
)
class UpdateCycleInput:
    id: strawberry.ID = strawberry.field(description="The cycle to change.")
    name: str | None = change("A new name, unique in the organisation.")
    starts_on: Date | None = change("A new first day.")
    ends_on: Date | None = change("A new last day (inclusive).")
    parent_cycle_id: strawberry.ID | None = change(
        "A new parent cycle that holds this cycle's days, or null for none."
    )
    version: int | None = change(
        "The version the change is based on; refused (STALE_VERSION) if the cycle changed since."
    )


@strawberry.input(description="Close every DRAFT or ACTIVE objective of a cycle.")
class CloseCycleInput:
    cycle_id: strawberry.ID = strawberry.field(description="The cycle to close.")


class CycleResult(TypedDict):
    cycle_id: int


class ClosedCycleResult(TypedDict):
    cycle_id: int
    closed_objectives: int


@strawberry.type(description="The result of createCycle.")
class CreateCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The new cycle.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateCycle.")
class UpdateCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle as changed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of closeCycle.")
class CloseCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle whose objectives were closed.")
    closed_objectives: int = value(
        "closed_objectives", "How many objectives were closed (0 when nothing was written)."
    )
    user_errors: list[UserError] = user_errors_field()


async def _create(ctx: RequestContext, command: CreateCycle) -> CycleResult:
    return {"cycle_id": await create_cycle(ctx.conn, ctx.identity, command)}


async def _update(ctx: RequestContext, command: UpdateCycle) -> CycleResult:
    return {"cycle_id": await update_cycle(ctx.conn, ctx.identity, command)}


async def _close(ctx: RequestContext, command: CloseCycle) -> ClosedCycleResult:
    closed = await objective_service.close_cycle(
        ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC)
    )
    return {"cycle_id": closed.cycle_id, "closed_objectives": closed.closed_objectives}


@strawberry.type
class CycleMutations:
    create_cycle = mutation(
        input=CreateCycleInput,
        command=CreateCycle,
        ids={"parentCycleId": "Cycle"},
        call=_create,
        payload=CreateCyclePayload,
        result=CycleResult,
        permission=MANAGES_CYCLES,
        description="Create a cycle (a year, a quarter), optionally inside a parent cycle.",
    )
    update_cycle = mutation(
        input=UpdateCycleInput,
        command=UpdateCycle,
        ids={"id": "Cycle", "parentCycleId": "Cycle"},
        call=_update,
        payload=UpdateCyclePayload,
        result=CycleResult,
        permission=MANAGES_CYCLES,
        description="Rename a cycle, move its dates or its parent; only the fields given change.",
    )
    close_cycle = mutation(
        input=CloseCycleInput,
        command=CloseCycle,
        ids={"cycleId": "Cycle"},
        call=_close,
        payload=CloseCyclePayload,
        result=ClosedCycleResult,
        refused={"closed_objectives": 0},
        permission=MANAGES_CYCLES,
        description="Close every DRAFT or ACTIVE objective of a cycle at its progress (0 when it"
        f" has none), with the outcome it earns: ACHIEVED from {ACHIEVED_FROM}, PARTIAL above"
        f" {PARTIAL_ABOVE}, MISSED otherwise.",
    )
