"""Cycle mutations: create, update, and close (every open objective of the cycle)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import strawberry

from db.planner.mapping import Mutation
from domain.cycles import CreateCycle, UpdateCycle
from domain.errors import DomainError, Problem, raise_problems
from domain.objectives import ACHIEVED_FROM, PARTIAL_ABOVE, CloseCycle
from domain.permissions import may_administer
from domain.validation import parse
from schema import oracle
from schema.cycles.types import Cycle
from schema.errors import ADMINS_ONLY_CYCLES, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one, value
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
    # UNSET defaults keep these optional without a default in the schema, so a field the
    # client leaves out is absent from the arguments, while an explicit null is present.
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new name, unique in the organisation."
    )
    starts_on: Date | None = strawberry.field(
        default=strawberry.UNSET, description="A new first day."
    )
    ends_on: Date | None = strawberry.field(
        default=strawberry.UNSET, description="A new last day (inclusive)."
    )
    parent_cycle_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new parent cycle that holds this cycle's days, or null for none.",
    )
    version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The version the change is based on; refused (STALE_VERSION) if the cycle"
        " changed since.",
    )


@strawberry.input(description="Close every DRAFT or ACTIVE objective of a cycle.")
class CloseCycleInput:
    cycle_id: strawberry.ID = strawberry.field(description="The cycle to close.")


@strawberry.type(description="The result of createCycle.")
class CreateCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The new cycle.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of updateCycle.")
class UpdateCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle as changed.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of closeCycle.")
class CloseCyclePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle whose objectives were closed.")
    closed_objectives: int = value(
        "closedObjectives", "How many objectives were closed (0 when nothing was written)."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


def _refused(error: DomainError) -> dict[str, Any]:
    return {"cycle_id": None, "userErrors": user_errors(error)}


@authorized(may_administer, ADMINS_ONLY_CYCLES)
async def run_create_cycle(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """createCycle: decode ids, validate, create; broken rules become userErrors."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["parentCycleId"] = input_id(data, "parentCycleId", "Cycle", problems)
        raise_problems(problems)
        command = parse(CreateCycle, data)
        cycle_id = await create_cycle(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return _refused(error)
    return {"cycle_id": cycle_id, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_CYCLES)
async def run_update_cycle(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """updateCycle: decode ids, validate, change the fields given; userErrors on broken rules."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["id"] = input_id(data, "id", "Cycle", problems)
        if "parentCycleId" in data:
            data["parentCycleId"] = input_id(data, "parentCycleId", "Cycle", problems)
        raise_problems(problems)
        command = parse(UpdateCycle, data)
        cycle_id = await update_cycle(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return _refused(error)
    return {"cycle_id": cycle_id, "userErrors": []}


def _close_cycle_command(raw: dict[str, Any]) -> CloseCycle:
    data = dict(raw)
    problems: list[Problem] = []
    data["cycleId"] = input_id(data, "cycleId", "Cycle", problems)
    raise_problems(problems)
    return parse(CloseCycle, data)


@authorized(may_administer, ADMINS_ONLY_CYCLES)
async def run_close_cycle(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """closeCycle: close each open objective of the cycle at the score it earns."""
    try:
        command = _close_cycle_command(args["input"])
        closed = await objective_service.close_cycle(
            ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC)
        )
    except DomainError as error:
        return {"cycle_id": None, "closedObjectives": 0, "userErrors": user_errors(error)}
    return {
        "cycle_id": closed.cycle_id,
        "closedObjectives": closed.closed_objectives,
        "userErrors": [],
    }


@strawberry.type
class CycleMutations:
    @strawberry.mutation(
        description="Create a cycle (a year, a quarter), optionally inside a parent cycle.",
        metadata=mapped(Mutation(run_create_cycle)),
    )
    async def create_cycle(
        self, info: strawberry.Info, input: CreateCycleInput
    ) -> CreateCyclePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Rename a cycle, move its dates or its parent; only the fields given change.",
        metadata=mapped(Mutation(run_update_cycle)),
    )
    async def update_cycle(
        self, info: strawberry.Info, input: UpdateCycleInput
    ) -> UpdateCyclePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Close every DRAFT or ACTIVE objective of a cycle at its progress (0 when it"
        f" has none), with the outcome it earns: ACHIEVED from {ACHIEVED_FROM}, PARTIAL above"
        f" {PARTIAL_ABOVE}, MISSED otherwise.",
        metadata=mapped(Mutation(run_close_cycle)),
    )
    async def close_cycle(self, info: strawberry.Info, input: CloseCycleInput) -> CloseCyclePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
