"""Alignment mutations: alignObjective, removeAlignment."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.planner.mapping import Mutation
from domain.alignments import AlignObjective, RemoveAlignment
from domain.errors import DomainError, Problem, raise_problems
from domain.permissions import writes_objectives
from domain.validation import parse
from schema import oracle
from schema.errors import READ_ONLY, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one
from schema.objectives.types import Objective
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


@strawberry.type(description="The result of alignObjective.")
class AlignObjectivePayload:
    child: Objective | None = to_one("objective", "child_objective_id", "The child objective.")
    parent: Objective | None = to_one(
        "objective", "parent_objective_id", "The parent objective, with its progress recomputed."
    )
    parent_key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] | None = (
        to_one("key_result", "parent_key_result_id", "The parent's key result the child drives.")
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of removeAlignment.")
class RemoveAlignmentPayload:
    child: Objective | None = to_one("objective", "child_objective_id", "The child objective.")
    parent: Objective | None = to_one(
        "objective", "parent_objective_id", "The parent objective, with its progress recomputed."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


def _ids(data: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    decoded = dict(data)
    for name in ("childObjectiveId", "parentObjectiveId"):
        decoded[name] = input_id(data, name, "Objective", problems)
    return decoded


_FAILED = {"child_objective_id": None, "parent_objective_id": None, "parent_key_result_id": None}


@authorized(writes_objectives, READ_ONLY)
async def run_align_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    # Explicit nulls mean "not given" here: the weight defaults, no key result is supported.
    data = {k: v for k, v in args["input"].items() if v is not None}
    try:
        problems: list[Problem] = []
        data = _ids(data, problems)
        if "parentKeyResultId" in data:
            data["parentKeyResultId"] = input_id(data, "parentKeyResultId", "KeyResult", problems)
        raise_problems(problems)
        command = parse(AlignObjective, data)
        aligned = await align_objective(ctx.conn, ctx.identity, command, dt.datetime.now(dt.UTC))
    except DomainError as error:
        return {**_FAILED, "userErrors": user_errors(error)}
    return {
        "child_objective_id": aligned.child_objective_id,
        "parent_objective_id": aligned.parent_objective_id,
        "parent_key_result_id": aligned.parent_key_result_id,
        "userErrors": [],
    }


@authorized(writes_objectives, READ_ONLY)
async def run_remove_alignment(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    try:
        problems: list[Problem] = []
        data = _ids(args["input"], problems)
        raise_problems(problems)
        command = parse(RemoveAlignment, data)
        removed = await remove_alignment(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return {**_FAILED, "userErrors": user_errors(error)}
    return {
        "child_objective_id": removed.child_objective_id,
        "parent_objective_id": removed.parent_objective_id,
        "userErrors": [],
    }


@strawberry.type
class AlignmentMutations:
    @strawberry.mutation(
        description="Align an objective under another it supports (the cascade). Several"
        " parents are allowed; self-alignment, loops and disjoint cycles are refused.",
        metadata=mapped(Mutation(run_align_objective)),
    )
    async def align_objective(
        self, info: strawberry.Info, input: AlignObjectiveInput
    ) -> AlignObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Remove an objective's alignment under a parent.",
        metadata=mapped(Mutation(run_remove_alignment)),
    )
    async def remove_alignment(
        self, info: strawberry.Info, input: RemoveAlignmentInput
    ) -> RemoveAlignmentPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
