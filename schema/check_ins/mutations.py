"""Check-in mutations."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from api.services.check_ins import create_check_in
from db.planner.mapping import Mutation
from domain.check_ins import Confidence, CreateCheckIn
from domain.errors import DomainError, Problem, raise_problems
from domain.validation import parse
from schema import oracle
from schema.check_ins.types import CheckIn
from schema.errors import UserError, input_id, user_errors
from schema.fields import embedded, mapped, to_one
from schema.scalars import DateTime, Decimal

if TYPE_CHECKING:
    from api.context import RequestContext
    from schema.key_results.types import KeyResult


@strawberry.input(description="A value (or, for a milestone, done or not) of a key result.")
class CreateCheckInInput:
    key_result_id: strawberry.ID = strawberry.field(description="The key result checked in.")
    value: Decimal | None = strawberry.field(
        default=None, description="The measured value (NUMERIC and THRESHOLD key results)."
    )
    done: bool | None = strawberry.field(
        default=None, description="Whether the milestone is done (MILESTONE key results)."
    )
    confidence: Confidence = strawberry.field(description="The reporter's confidence.")
    comment: str | None = strawberry.field(default=None, description="Context for the value.")
    measured_at: DateTime | None = strawberry.field(
        default=None,
        description="When the value was true (default now); may be back-dated, not in the"
        " future, not before the cycle starts.",
    )


@strawberry.type(description="The result of createCheckIn.")
class CreateCheckInPayload:
    check_in: CheckIn | None = to_one("check_in", "check_in_id", "The new check-in.")
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The key result, with its new current value."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


async def run_create_check_in(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["keyResultId"] = input_id(data, "keyResultId", "KeyResult", problems)
        raise_problems(problems)
        command = parse(CreateCheckIn, data)
        created = await create_check_in(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    except DomainError as error:
        return {"check_in_id": None, "key_result_id": None, "userErrors": user_errors(error)}
    return {
        "check_in_id": created.check_in_id,
        "key_result_id": created.key_result_id,
        "userErrors": [],
    }


@strawberry.type
class CheckInMutations:
    @strawberry.mutation(
        description="Record a key result's value (or a milestone's done flag).",
        metadata=mapped(Mutation(run_create_check_in)),
    )
    async def create_check_in(
        self, info: strawberry.Info, input: CreateCheckInInput
    ) -> CreateCheckInPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
