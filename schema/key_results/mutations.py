"""Key-result mutations: createKeyResult, updateKeyResult, deleteKeyResult."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.ids import encode_id
from db.planner.mapping import Mutation
from domain.check_ins import CheckInCadence
from domain.errors import DomainError, Problem, raise_problems
from domain.key_results import (
    CreateKeyResult,
    KeyResultKind,
    KeyResultType,
    KeyResultUnit,
    ThresholdDirection,
    UpdateKeyResult,
)
from domain.permissions import writes_objectives
from domain.validation import parse
from schema import oracle
from schema.errors import READ_ONLY, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one, value
from schema.scalars import Decimal
from services.key_results import create_key_result, delete_key_result, update_key_result

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.key_results.types import KeyResult
    from schema.objectives.types import Objective

_UNSET: Any = strawberry.UNSET


@strawberry.input(description="A new key result of an objective.")
class CreateKeyResultInput:
    objective_id: strawberry.ID = strawberry.field(description="The objective it measures.")
    title: str = strawberry.field(description="What is measured (trimmed, 1-200 characters).")
    description: str | None = strawberry.field(default=None, description="More about it.")
    kind: KeyResultKind = strawberry.field(description="How progress is measured.")
    type: KeyResultType = strawberry.field(
        default=KeyResultType.RESULT, description="An outcome (RESULT) or work (ACTIVITY)."
    )
    unit: KeyResultUnit = strawberry.field(
        default=KeyResultUnit.COUNT, description="The unit of its values."
    )
    currency: str | None = strawberry.field(
        default=None, description="ISO 4217 code, e.g. SEK (required for unit CURRENCY only)."
    )
    unit_label: str | None = strawberry.field(
        default=None, description="The unit's label (required for unit CUSTOM only)."
    )
    start_value: Decimal | None = strawberry.field(
        default=None, description="Where a NUMERIC key result starts (NUMERIC only)."
    )
    target_value: Decimal | None = strawberry.field(
        default=None,
        description="The target (NUMERIC: must differ from the start) or the bound (THRESHOLD);"
        " none for MILESTONE.",
    )
    threshold_direction: ThresholdDirection | None = strawberry.field(
        default=None, description="Which side of the bound to stay (THRESHOLD only)."
    )
    weight: Decimal | None = strawberry.field(
        default=None, description="Its weight in the objective's progress: > 0, default 1."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="The member who reports its values (default: you)."
    )
    cadence: CheckInCadence = strawberry.field(
        default=CheckInCadence.WEEKLY, description="How often values are reported."
    )
    data_source: str | None = strawberry.field(
        default=None, description="Where values come from, e.g. CRM (up to 500 characters)."
    )
    external_id: str | None = strawberry.field(
        default=None, description="Its id in an integration; unique in the organisation."
    )
    position: int | None = strawberry.field(
        default=None, description="Display order among the objective's key results (default:"
        " last).",
    )  # fmt: skip


@strawberry.input(
    description="Changes to a key result. Only fields present change; null clears an optional"
    " field. The result must satisfy the same rules as a new key result."
)
class UpdateKeyResultInput:
    id: strawberry.ID = strawberry.field(description="The key result to change.")
    version: int | None = strawberry.field(
        default=_UNSET,
        description="The version you read; if it moved on, nothing is written (STALE_VERSION).",
    )
    title: str | None = strawberry.field(default=_UNSET, description="What is measured.")
    description: str | None = strawberry.field(default=_UNSET, description="More about it.")
    kind: KeyResultKind | None = strawberry.field(
        default=_UNSET, description="How progress is measured."
    )
    type: KeyResultType | None = strawberry.field(
        default=_UNSET, description="An outcome (RESULT) or work (ACTIVITY)."
    )
    unit: KeyResultUnit | None = strawberry.field(
        default=_UNSET, description="The unit of its values."
    )
    currency: str | None = strawberry.field(
        default=_UNSET, description="ISO 4217 code (unit CURRENCY only)."
    )
    unit_label: str | None = strawberry.field(
        default=_UNSET, description="The unit's label (unit CUSTOM only)."
    )
    start_value: Decimal | None = strawberry.field(
        default=_UNSET, description="Where a NUMERIC key result starts."
    )
    target_value: Decimal | None = strawberry.field(
        default=_UNSET, description="The target (NUMERIC) or the bound (THRESHOLD)."
    )
    threshold_direction: ThresholdDirection | None = strawberry.field(
        default=_UNSET, description="Which side of the bound to stay (THRESHOLD only)."
    )
    weight: Decimal | None = strawberry.field(
        default=_UNSET, description="Its weight in the objective's progress (> 0)."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=_UNSET, description="The member who reports its values."
    )
    cadence: CheckInCadence | None = strawberry.field(
        default=_UNSET, description="How often values are reported."
    )
    data_source: str | None = strawberry.field(
        default=_UNSET, description="Where values come from."
    )
    external_id: str | None = strawberry.field(
        default=_UNSET, description="Its id in an integration; unique in the organisation."
    )
    position: int | None = strawberry.field(
        default=_UNSET, description="Display order among the objective's key results."
    )


@strawberry.input(description="The key result to delete, with its check-ins.")
class DeleteKeyResultInput:
    id: strawberry.ID = strawberry.field(description="The key result to delete.")
    version: int | None = strawberry.field(
        default=None,
        description="The version you read; if it moved on, nothing is deleted (STALE_VERSION).",
    )


@strawberry.type(description="The result of createKeyResult.")
class CreateKeyResultPayload:
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The new key result (its objective shows the new progress)."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of updateKeyResult.")
class UpdateKeyResultPayload:
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The key result as changed."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of deleteKeyResult.")
class DeleteKeyResultPayload:
    deleted_key_result_id: strawberry.ID | None = value(
        "deleted_key_result_id", "The id the deleted key result had."
    )
    objective: Annotated[Objective, strawberry.lazy("schema.objectives.types")] | None = to_one(
        "objective", "objective_id", "Its objective, with progress recomputed without it."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was deleted, if so.")


@authorized(writes_objectives, READ_ONLY)
async def run_create_key_result(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    # On a new key result an explicit null means the same as leaving the field out.
    data = {k: v for k, v in args["input"].items() if v is not None}
    try:
        problems: list[Problem] = []
        data["objectiveId"] = input_id(data, "objectiveId", "Objective", problems)
        if "ownerId" in data:
            data["ownerId"] = input_id(data, "ownerId", "User", problems)
        raise_problems(problems)
        command = parse(CreateKeyResult, data)
        created = await create_key_result(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    except DomainError as error:
        return {"key_result_id": None, "userErrors": user_errors(error)}
    return {"key_result_id": created.key_result_id, "userErrors": []}


@authorized(writes_objectives, READ_ONLY)
async def run_update_key_result(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    # Absent fields are absent from the dict; explicit nulls are present as None.
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["id"] = input_id(data, "id", "KeyResult", problems)
        if data.get("ownerId") is not None:
            data["ownerId"] = input_id(data, "ownerId", "User", problems)
        raise_problems(problems)
        command = parse(UpdateKeyResult, data)
        updated = await update_key_result(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    except DomainError as error:
        return {"key_result_id": None, "userErrors": user_errors(error)}
    return {"key_result_id": updated.key_result_id, "userErrors": []}


@authorized(writes_objectives, READ_ONLY)
async def run_delete_key_result(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    data = args["input"]
    try:
        problems: list[Problem] = []
        key_result_id = input_id(data, "id", "KeyResult", problems)
        raise_problems(problems)
        assert key_result_id is not None  # a required ID that decoded
        deleted = await delete_key_result(
            ctx.conn, ctx.identity, key_result_id, data.get("version")
        )
    except DomainError as error:
        return {
            "deleted_key_result_id": None,
            "objective_id": None,
            "userErrors": user_errors(error),
        }
    return {
        "deleted_key_result_id": encode_id("KeyResult", deleted.key_result_id),
        "objective_id": deleted.objective_id,
        "userErrors": [],
    }


@strawberry.type
class KeyResultMutations:
    @strawberry.mutation(
        description="Add a key result to an objective (not a closed or archived one).",
        metadata=mapped(Mutation(run_create_key_result)),
    )
    async def create_key_result(
        self, info: strawberry.Info, input: CreateKeyResultInput
    ) -> CreateKeyResultPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change a key result; progress and the next check-in's due time follow.",
        metadata=mapped(Mutation(run_update_key_result)),
    )
    async def update_key_result(
        self, info: strawberry.Info, input: UpdateKeyResultInput
    ) -> UpdateKeyResultPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Delete a key result and its check-ins; its objective's progress follows.",
        metadata=mapped(Mutation(run_delete_key_result)),
    )
    async def delete_key_result(
        self, info: strawberry.Info, input: DeleteKeyResultInput
    ) -> DeleteKeyResultPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
