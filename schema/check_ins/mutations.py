"""Check-in mutations."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.planner.mapping import Mutation, ToOneList
from domain.check_ins import Confidence, CreateCheckIn
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from domain.permissions import writes_check_ins
from domain.validation import parse
from schema import oracle
from schema.check_ins.types import CheckIn
from schema.errors import NO_CHECK_INS, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one
from schema.scalars import DateTime, Decimal
from services import idempotency
from services.check_ins import create_check_in, create_check_ins

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.key_results.types import KeyResult


@strawberry.input(description="A value (or, for a milestone, done or not) of a key result.")
class CreateCheckInInput:
    key_result_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The key result checked in (give this or `keyResultExternalId`).",
    )
    key_result_external_id: str | None = strawberry.field(
        default=None,
        description="The key result checked in, by the `externalId` an integration gave it"
        " (give this or `keyResultId`).",
    )
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
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="A key of the client's choosing (at most 200 characters) that makes a retry"
        " safe: the same key with the same input again answers as the first time and writes"
        " nothing; with another input it is refused (IDEMPOTENCY_KEY_REUSED). Kept at least"
        " 24 hours, per caller. Ignored in `createCheckIns` items (the batch has its own).",
    )


@strawberry.type(description="The result of createCheckIn.")
class CreateCheckInPayload:
    check_in: CheckIn | None = to_one("check_in", "check_in_id", "The new check-in.")
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The key result, with its new current value."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


def _command(raw: dict[str, Any], prefix: tuple[str, ...] = ("input",)) -> CreateCheckIn:
    """A check-in input as a command (raises DomainError on `prefix`'s fields)."""
    data = dict(raw)
    data.pop("idempotencyKey", None)
    problems: list[Problem] = []
    data["keyResultId"] = input_id(data, "keyResultId", "KeyResult", problems)
    if prefix != ("input",):
        problems = [Problem(p.code, prefix + p.field[1:], p.message) for p in problems]
    raise_problems(problems)
    return parse(CreateCheckIn, data, prefix)


@authorized(writes_check_ins, NO_CHECK_INS)
async def run_create_check_in(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    raw = args["input"]
    key = raw.get("idempotencyKey")

    async def perform() -> dict[str, Any]:
        command = _command(raw)
        created = await create_check_in(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
        return {
            "check_in_id": created.check_in_id,
            "key_result_id": created.key_result_id,
            "userErrors": [],
        }

    try:
        if key is None:
            return await perform()
        return await idempotency.run_once(
            ctx.conn, ctx.identity, "createCheckIn", key, raw, perform
        )
    except DomainError as error:
        return {"check_in_id": None, "key_result_id": None, "userErrors": user_errors(error)}


@strawberry.input(
    description="Many check-ins at once (an integration's scheduled push), in one transaction."
)
class CreateCheckInsInput:
    items: list[CreateCheckInInput] = strawberry.field(
        description="The check-ins, at most OKRQL_MAX_BULK_CHECK_INS (default 100); several of"
        " one key result apply in order. Their own `idempotencyKey`s are ignored."
    )
    idempotency_key: str | None = strawberry.field(
        default=None,
        description="Makes a retry of the whole batch safe (as createCheckIn's).",
    )
    atomic: bool = strawberry.field(
        default=True,
        description="true: any item's problem refuses the whole batch (nothing written);"
        " false: the valid items are written and the others reported.",
    )


@strawberry.type(description="The result of createCheckIns.")
class CreateCheckInsPayload:
    check_ins: list[CheckIn | None] | None = strawberry.field(
        resolver=oracle.resolve_to_one_list,
        description="The new check-ins, in the order of the input's items; null for an item"
        " that was not written.",
        metadata=mapped(ToOneList("check_in", "check_in_ids")),
    )
    user_errors: list[UserError] = embedded(
        "userErrors",
        'Why items were not written; fields start with ["input", "items", "<index>"].',
    )


def _too_many(size: int, maximum: int) -> DomainError:
    return DomainError.of(
        UserErrorCode.TOO_MANY_ITEMS,
        ("input", "items"),
        f"At most {maximum} check-ins at once ({size} given).",
    )


@authorized(writes_check_ins, NO_CHECK_INS)
async def run_create_check_ins(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    raw = args["input"]
    raw_items: list[dict[str, Any]] = raw["items"]
    size, atomic = len(raw_items), raw.get("atomic", True)
    key = raw.get("idempotencyKey")

    async def perform() -> dict[str, Any]:
        if size > ctx.settings.max_bulk_check_ins:
            raise _too_many(size, ctx.settings.max_bulk_check_ins)
        problems: list[Problem] = []
        commands: list[tuple[int, CreateCheckIn]] = []
        for index, item in enumerate(raw_items):
            try:
                commands.append((index, _command(item, ("input", "items", str(index)))))
            except DomainError as error:
                problems.extend(error.problems)
        if not commands:
            raise_problems(problems)
            return {"check_in_ids": [], "userErrors": []}  # an empty batch
        created = await create_check_ins(
            ctx.conn,
            ctx.identity,
            commands,
            size,
            dt.datetime.now(dt.UTC),
            atomic=atomic,
            problems=problems,
        )
        return {
            "check_in_ids": [None if c is None else c.check_in_id for c in created.created],
            "userErrors": user_errors(DomainError(created.problems)),
        }

    try:
        if key is None:
            return await perform()
        return await idempotency.run_once(
            ctx.conn, ctx.identity, "createCheckIns", key, raw, perform
        )
    except DomainError as error:
        return {"check_in_ids": [None] * size, "userErrors": user_errors(error)}


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

    @strawberry.mutation(
        description="Record many values at once (see CreateCheckInsInput): all or nothing by"
        " default; problems name the item by its index.",
        metadata=mapped(Mutation(run_create_check_ins)),
    )
    async def create_check_ins(
        self, info: strawberry.Info, input: CreateCheckInsInput
    ) -> CreateCheckInsPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
