"""Alignment mutations: alignObjective, removeAlignment."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, TypedDict

import strawberry

from domain.alignments import AlignObjective, RemoveAlignment
from schema.errors import WRITES_OBJECTIVES, UserError
from schema.fields import to_one
from schema.mutation_fields import mutation
from schema.objectives.types import Objective
from schema.payloads import user_errors_field
from schema.scalars import Decimal
from services.alignments import align_objective, remove_alignment

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.key_results.types import KeyResult


@strawberry.input(description="Align a child objective under a parent it supports.")
class AlignObjectiveInput:
    child_objective_id: strawberry.ID = strawberry.field(description="The supporting objective.")
    parent_objective_id: strawberry.ID = strawberry.field(
        description="The objective it supports; its cycle must overlap the child's, and it"
        " must not already support the child (no loops)."
    )
    parent_key_result_id: strawberry.ID | None = strawberry.field(
        default=None, description="A key result of the parent that the child drives, if one."
    )
    weight: Decimal | None = strawberry.field(
        default=None,
        description="The child's weight in a parent whose progress counts its children: > 0,"
        " default 1.",
    )


@strawberry.input(description="The alignment of a child under a parent to remove.")
class RemoveAlignmentInput:
    child_objective_id: strawberry.ID = strawberry.field(description="The supporting objective.")
    parent_objective_id: strawberry.ID = strawberry.field(description="The objective it supports.")


class AlignmentResult(TypedDict):
    child_objective_id: int
    parent_objective_id: int
    parent_key_result_id: int | None


class RemovedAlignmentResult(TypedDict):
    child_objective_id: int
    parent_objective_id: int


@strawberry.type(description="The result of alignObjective.")
class AlignObjectivePayload:
    child: Objective | None = to_one("objective", "child_objective_id", "The child objective.")
    parent: Objective | None = to_one(
        "objective", "parent_objective_id", "The parent objective, with its progress recomputed."
    )
    parent_key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = (
        to_one("key_result", "parent_key_result_id", "The parent's key result the child drives.")
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of removeAlignment.")
class RemoveAlignmentPayload:
    child: Objective | None = to_one("objective", "child_objective_id", "The child objective.")
    parent: Objective | None = to_one(
        "objective", "parent_objective_id", "The parent objective, with its progress recomputed."
    )
    user_errors: list[UserError] = user_errors_field()


async def _align(ctx: RequestContext, command: AlignObjective) -> AlignmentResult:
    aligned = await align_objective(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    return {
        "child_objective_id": aligned.child_objective_id,
        "parent_objective_id": aligned.parent_objective_id,
        "parent_key_result_id": aligned.parent_key_result_id,
    }


async def _remove(ctx: RequestContext, command: RemoveAlignment) -> RemovedAlignmentResult:
    removed = await remove_alignment(ctx.conn, ctx.identity, command)
    return {
        "child_objective_id": removed.child_objective_id,
        "parent_objective_id": removed.parent_objective_id,
    }


_ENDS = {"childObjectiveId": "Objective", "parentObjectiveId": "Objective"}


@strawberry.type
class AlignmentMutations:
    align_objective = mutation(
        input=AlignObjectiveInput,
        command=AlignObjective,
        ids={**_ENDS, "parentKeyResultId": "KeyResult"},
        # An explicit null means "not given": the weight defaults, no key result is supported.
        null_means_absent=True,
        call=_align,
        payload=AlignObjectivePayload,
        result=AlignmentResult,
        permission=WRITES_OBJECTIVES,
        description="Align an objective under another it supports (the cascade). Several"
        " parents are allowed; self-alignment, loops and disjoint cycles are refused.",
    )
    remove_alignment = mutation(
        input=RemoveAlignmentInput,
        command=RemoveAlignment,
        ids=_ENDS,
        call=_remove,
        payload=RemoveAlignmentPayload,
        result=RemovedAlignmentResult,
        permission=WRITES_OBJECTIVES,
        description="Remove an objective's alignment under a parent.",
    )
