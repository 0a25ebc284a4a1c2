"""Key-result mutations: createKeyResult, updateKeyResult, deleteKeyResult."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, TypedDict

import strawberry

from db.ids import encode_id
from domain.check_ins import CheckInCadence
from domain.key_results import (
    CreateKeyResult,
    DeleteKeyResult,
    KeyResultKind,
    KeyResultType,
    KeyResultUnit,
    ThresholdDirection,
    UpdateKeyResult,
)
from schema.errors import WRITES_OBJECTIVES, UserError
from schema.fields import to_one, value
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.scalars import Decimal
from services.key_results import create_key_result, delete_key_result, update_key_result

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.key_results.types import KeyResult
    from schema.objectives.types import Objective


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
    version: int | None = change(
        "The version you read; if it moved on, nothing is written (STALE_VERSION).",
    )
    title: str | None = change("What is measured.")
    description: str | None = change("More about it.")
    kind: KeyResultKind | None = change("How progress is measured.")
    type: KeyResultType | None = change("An outcome (RESULT) or work (ACTIVITY).")
    unit: KeyResultUnit | None = change("The unit of its values.")
    currency: str | None = change("ISO 4217 code (unit CURRENCY only).")
    unit_label: str | None = change("The unit's label (unit CUSTOM only).")
    start_value: Decimal | None = change("Where a NUMERIC key result starts.")
    target_value: Decimal | None = change("The target (NUMERIC) or the bound (THRESHOLD).")
    threshold_direction: ThresholdDirection | None = change(
        "Which side of the bound to stay (THRESHOLD only)."
    )
    weight: Decimal | None = change("Its weight in the objective's progress (> 0).")
    owner_id: strawberry.ID | None = change("The member who reports its values.")
    cadence: CheckInCadence | None = change("How often values are reported.")
    data_source: str | None = change("Where values come from.")
    external_id: str | None = change("Its id in an integration; unique in the organisation.")
    position: int | None = change("Display order among the objective's key results.")


@strawberry.input(description="The key result to delete, with its check-ins.")
class DeleteKeyResultInput:
    id: strawberry.ID = strawberry.field(description="The key result to delete.")
    version: int | None = strawberry.field(
        default=None,
        description="The version you read; if it moved on, nothing is deleted (STALE_VERSION).",
    )


class KeyResultResult(TypedDict):
    key_result_id: int


class DeletedKeyResultResult(TypedDict):
    deleted_key_result_id: str
    objective_id: int


@strawberry.type(description="The result of createKeyResult.")
class CreateKeyResultPayload:
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The new key result (its objective shows the new progress)."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateKeyResult.")
class UpdateKeyResultPayload:
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = to_one(
        "key_result", "key_result_id", "The key result as changed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deleteKeyResult.")
class DeleteKeyResultPayload:
    deleted_key_result_id: strawberry.ID | None = value(
        "deleted_key_result_id", "The id the deleted key result had."
    )
    objective: Annotated[Objective, strawberry.lazy("schema.objectives.types")] | None = to_one(
        "objective", "objective_id", "Its objective, with progress recomputed without it."
    )
    user_errors: list[UserError] = user_errors_field("Why nothing was deleted, if so.")


async def _create(ctx: RequestContext, command: CreateKeyResult) -> KeyResultResult:
    created = await create_key_result(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    return {"key_result_id": created.key_result_id}


async def _update(ctx: RequestContext, command: UpdateKeyResult) -> KeyResultResult:
    updated = await update_key_result(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    return {"key_result_id": updated.key_result_id}


async def _delete(ctx: RequestContext, command: DeleteKeyResult) -> DeletedKeyResultResult:
    deleted = await delete_key_result(ctx.conn, ctx.identity, command)
    return {
        "deleted_key_result_id": encode_id("KeyResult", deleted.key_result_id),
        "objective_id": deleted.objective_id,
    }


@strawberry.type
class KeyResultMutations:
    create_key_result = mutation(
        input=CreateKeyResultInput,
        command=CreateKeyResult,
        ids={"objectiveId": "Objective", "ownerId": "User"},
        # On a new key result an explicit null means the same as leaving the field out.
        null_means_absent=True,
        call=_create,
        payload=CreateKeyResultPayload,
        result=KeyResultResult,
        permission=WRITES_OBJECTIVES,
        description="Add a key result to an objective (not a closed or archived one).",
    )
    update_key_result = mutation(
        input=UpdateKeyResultInput,
        command=UpdateKeyResult,
        ids={"id": "KeyResult", "ownerId": "User"},
        call=_update,
        payload=UpdateKeyResultPayload,
        result=KeyResultResult,
        permission=WRITES_OBJECTIVES,
        description="Change a key result; progress and the next check-in's due time follow.",
    )
    delete_key_result = mutation(
        input=DeleteKeyResultInput,
        command=DeleteKeyResult,
        ids={"id": "KeyResult"},
        call=_delete,
        payload=DeleteKeyResultPayload,
        result=DeletedKeyResultResult,
        permission=WRITES_OBJECTIVES,
        description="Delete a key result and its check-ins; its objective's progress follows.",
    )
