"""Check-in mutations: one check-in, or many at once (an integration's scheduled push)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

import strawberry

from domain.check_ins import Confidence, CreateCheckIn
from domain.errors import DomainError, Problem, UserErrorCode, raise_problems
from schema.check_ins.types import CheckIn
from schema.errors import WRITES_CHECK_INS, UserError, user_errors
from schema.fields import to_one, to_one_list
from schema.inputs import InputCommand
from schema.mutation_fields import IDEMPOTENCY_KEY, mutation
from schema.payloads import user_errors_field
from schema.scalars import DateTime, Decimal
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


# Both results are stored as the response to an idempotency key (services/idempotency.py) and
# read back by retries, also by those a newer release answers: renaming a key breaks them.


class CheckInResult(TypedDict):
    check_in_id: int
    key_result_id: int


class CheckInsResult(TypedDict):
    check_in_ids: list[int | None]
    userErrors: list[dict[str, Any]]


@strawberry.type(description="The result of createCheckIn.")
class CreateCheckInPayload:
    check_in: CheckIn | None = to_one("check_in", "check_in_id", "The new check-in.")
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The key result, with its new current value."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of createCheckIns.")
class CreateCheckInsPayload:
    check_ins: list[CheckIn | None] | None = to_one_list(
        "check_in",
        "check_in_ids",
        "The new check-ins, in the order of the input's items; null for an item that was not"
        " written.",
    )
    user_errors: list[UserError] = user_errors_field(
        'Why items were not written; fields start with ["input", "items", "<index>"].'
    )


# A check-in's own idempotency key counts only for createCheckIn; a batch has its own.
_CHECK_IN = InputCommand(
    CreateCheckIn, ids=(("keyResultId", "KeyResult"),), ignored=(IDEMPOTENCY_KEY,)
)


@dataclass(frozen=True, slots=True)
class CheckInItems:
    """A bulk input read item by item: the commands of the valid items (with their index), the
    problems of the others, and how the batch is written."""

    commands: list[tuple[int, CreateCheckIn]]
    problems: list[Problem]
    size: int
    atomic: bool


def _items(raw: dict[str, Any]) -> CheckInItems:
    commands: list[tuple[int, CreateCheckIn]] = []
    problems: list[Problem] = []
    for index, item in enumerate(raw["items"]):
        try:
            commands.append((index, _CHECK_IN.read(item, ("input", "items", str(index)))))
        except DomainError as error:
            problems.extend(error.problems)
    return CheckInItems(commands, problems, len(raw["items"]), raw.get("atomic", True))


async def _create(ctx: RequestContext, command: CreateCheckIn) -> CheckInResult:
    created = await create_check_in(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    return {"check_in_id": created.check_in_id, "key_result_id": created.key_result_id}


async def _create_many(ctx: RequestContext, items: CheckInItems) -> CheckInsResult:
    maximum = ctx.settings.max_bulk_check_ins
    if items.size > maximum:
        raise DomainError.of(
            UserErrorCode.TOO_MANY_ITEMS,
            ("input", "items"),
            f"At most {maximum} check-ins at once ({items.size} given).",
        )
    if not items.commands:
        raise_problems(items.problems)
        return {"check_in_ids": [], "userErrors": []}  # an empty batch
    created = await create_check_ins(
        ctx.conn,
        ctx.identity,
        items.commands,
        items.size,
        dt.datetime.now(dt.UTC),
        atomic=items.atomic,
        problems=items.problems,
    )
    return {
        "check_in_ids": [None if c is None else c.check_in_id for c in created.created],
        "userErrors": user_errors(DomainError(created.problems)),
    }


@strawberry.type
class CheckInMutations:
    create_check_in = mutation(
        input=CreateCheckInInput,
        command=CreateCheckIn,
        ids={"keyResultId": "KeyResult"},
        idempotency="createCheckIn",
        call=_create,
        payload=CreateCheckInPayload,
        result=CheckInResult,
        permission=WRITES_CHECK_INS,
        description="Record a key result's value (or a milestone's done flag).",
    )
    create_check_ins = mutation(
        input=CreateCheckInsInput,
        command=_items,
        idempotency="createCheckIns",
        call=_create_many,
        payload=CreateCheckInsPayload,
        result=CheckInsResult,
        refused=lambda raw: {"check_in_ids": [None] * len(raw["items"])},
        permission=WRITES_CHECK_INS,
        description="Record many values at once (see CreateCheckInsInput): all or nothing by"
        " default; problems name the item by its index.",
    )
