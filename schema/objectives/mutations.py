"""Objective mutations: create, update, the lifecycle (status, close, reopen), delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import strawberry

from db.ids import encode_id
from db.planner.mapping import Mutation
from domain.errors import DomainError, Problem, raise_problems
from domain.objectives import (
    CloseObjective,
    CreateObjective,
    DeleteObjective,
    ObjectiveLevel,
    ObjectiveOutcome,
    ObjectiveStatus,
    ProgressSource,
    ReopenObjective,
    SetObjectiveStatus,
    UpdateObjective,
)
from domain.permissions import writes_objectives
from domain.validation import Command, parse
from schema import oracle
from schema.errors import (
    READ_ONLY,
    UserError,
    authorized,
    input_id,
    user_errors,
)
from schema.fields import embedded, mapped, to_one, value
from schema.objectives.types import Objective
from services import objectives as service

if TYPE_CHECKING:
    from db.progress import Connection
    from schema.context import RequestContext
    from services.identity import Identity

C = TypeVar("C", bound=Command)

# The global id types of the id fields an objective input may carry.
_ID_TYPES = {
    "id": "Objective",
    "cycleId": "Cycle",
    "ownerTeamId": "Team",
    "ownerUserId": "User",
}


# --- Inputs -------------------------------------------------------------------------------


@strawberry.input(description="A new objective in a cycle.")
class CreateObjectiveInput:
    title: str = strawberry.field(
        description="What the objective wants to achieve; trimmed, 1 to 200 characters."
    )
    description: str | None = strawberry.field(
        default=None, description="Why it matters: the purpose behind it (up to 10,000)."
    )
    cycle_id: strawberry.ID = strawberry.field(description="The cycle it belongs to.")
    level: ObjectiveLevel = strawberry.field(
        description="Who owns it: the company, a team (ownerTeamId) or a person (ownerUserId)."
    )
    owner_team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning team; required for, and only for, level TEAM."
    )
    owner_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning person; required for, and only for, level PERSON."
    )
    progress_source: ProgressSource = strawberry.field(
        default=ProgressSource.KEY_RESULTS,
        description="What drives its progress: its key results, its aligned children, or both.",
    )
    status: ObjectiveStatus = strawberry.field(
        default=ObjectiveStatus.ACTIVE,
        description="DRAFT or ACTIVE; an objective is closed or archived only after creation.",
    )


@strawberry.input(
    description="Changes to an objective: a field left out keeps its value; an explicit null"
    " clears it where that is allowed (description)."
)
class UpdateObjectiveInput:
    id: strawberry.ID = strawberry.field(description="The objective to change.")
    title: strawberry.Maybe[str | None] = strawberry.field(
        description="A new title; trimmed, 1 to 200 characters; cannot be null."
    )
    description: strawberry.Maybe[str | None] = strawberry.field(
        description="A new description; null or blank clears it."
    )
    cycle_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(
        description="Move the objective to another cycle; it must still overlap the cycles of"
        " the objectives it is aligned with."
    )
    level: strawberry.Maybe[ObjectiveLevel | None] = strawberry.field(
        description="A new level; an owner field left out is kept when it fits the new level"
        " and cleared otherwise."
    )
    owner_team_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(
        description="The owning team (level TEAM only)."
    )
    owner_user_id: strawberry.Maybe[strawberry.ID | None] = strawberry.field(
        description="The owning person (level PERSON only)."
    )
    progress_source: strawberry.Maybe[ProgressSource | None] = strawberry.field(
        description="What drives the progress; changing it rescores the objective at once."
    )
    version: strawberry.Maybe[int | None] = strawberry.field(
        description="The version the change was made on; if the objective has changed since,"
        " nothing is written (STALE_VERSION)."
    )


_VERSION = "The version the change was made on; STALE_VERSION if it changed since."


@strawberry.input(description="Activate a draft or archive an objective.")
class SetObjectiveStatusInput:
    id: strawberry.ID = strawberry.field(description="The objective.")
    status: ObjectiveStatus = strawberry.field(
        description="ACTIVE (from DRAFT) or ARCHIVED (from any status). CLOSED goes through"
        " closeObjective, leaving ARCHIVED through reopenObjective."
    )
    version: strawberry.Maybe[int | None] = strawberry.field(description=_VERSION)


@strawberry.input(description="Close an objective and keep how it ended.")
class CloseObjectiveInput:
    id: strawberry.ID = strawberry.field(description="The DRAFT or ACTIVE objective to close.")
    outcome: ObjectiveOutcome = strawberry.field(description="How the objective ended.")
    final_score: float | None = strawberry.field(
        default=None,
        description="The score to keep, in [0, 1]; default the objective's progress now (0"
        " when it has none).",
    )
    reflection: str | None = strawberry.field(
        default=None, description="What was learned (up to 10,000 characters)."
    )
    version: strawberry.Maybe[int | None] = strawberry.field(description=_VERSION)


@strawberry.input(description="Make a closed or archived objective ACTIVE again.")
class ReopenObjectiveInput:
    id: strawberry.ID = strawberry.field(description="The CLOSED or ARCHIVED objective.")
    version: strawberry.Maybe[int | None] = strawberry.field(description=_VERSION)


@strawberry.input(description="Delete an objective with its key results and check-ins.")
class DeleteObjectiveInput:
    id: strawberry.ID = strawberry.field(
        description="The objective; refused while others are aligned under it."
    )
    version: strawberry.Maybe[int | None] = strawberry.field(description=_VERSION)


# --- Payloads -----------------------------------------------------------------------------

_ERRORS = "Why nothing was written, if so."


@strawberry.type(description="The result of createObjective.")
class CreateObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The new objective.")
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of updateObjective.")
class UpdateObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The objective as changed.")
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of setObjectiveStatus.")
class SetObjectiveStatusPayload:
    objective: Objective | None = to_one(
        "objective", "objective_id", "The objective in its new status."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of closeObjective.")
class CloseObjectivePayload:
    objective: Objective | None = to_one(
        "objective", "objective_id", "The closed objective, with its final score and outcome."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of reopenObjective.")
class ReopenObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The ACTIVE objective.")
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of deleteObjective.")
class DeleteObjectivePayload:
    deleted_objective_id: strawberry.ID | None = value(
        "deletedObjectiveId", "The global id of the deleted objective."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


# --- Running the use cases ----------------------------------------------------------------


def _command(model: type[C], raw: dict[str, Any]) -> C:
    """Decode the global ids the input carries (only those present, so an absent field stays
    absent), then validate it into `model`."""
    data = dict(raw)
    problems: list[Problem] = []
    for name, type_name in _ID_TYPES.items():
        if name in data:
            data[name] = input_id(data, name, type_name, problems)
    raise_problems(problems)
    return parse(model, data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


UseCase = Callable[["Connection", "Identity", C, dt.datetime], Awaitable[int]]


async def _run_objective_use_case(
    ctx: RequestContext, args: dict[str, Any], model: type[C], use_case: UseCase[C]
) -> dict[str, Any]:
    try:
        command = _command(model, args["input"])
        objective_id = await use_case(ctx.conn, ctx.identity, command, _now())
    except DomainError as error:
        return {"objective_id": None, "userErrors": user_errors(error)}
    return {"objective_id": objective_id, "userErrors": []}


@authorized(writes_objectives, READ_ONLY)
async def run_create_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _run_objective_use_case(ctx, args, CreateObjective, service.create_objective)


@authorized(writes_objectives, READ_ONLY)
async def run_update_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _run_objective_use_case(ctx, args, UpdateObjective, service.update_objective)


@authorized(writes_objectives, READ_ONLY)
async def run_set_objective_status(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _run_objective_use_case(
        ctx, args, SetObjectiveStatus, service.set_objective_status
    )


@authorized(writes_objectives, READ_ONLY)
async def run_close_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _run_objective_use_case(ctx, args, CloseObjective, service.close_objective)


@authorized(writes_objectives, READ_ONLY)
async def run_reopen_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    return await _run_objective_use_case(ctx, args, ReopenObjective, service.reopen_objective)


@authorized(writes_objectives, READ_ONLY)
async def run_delete_objective(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    try:
        command = _command(DeleteObjective, args["input"])
        deleted = await service.delete_objective(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return {"deletedObjectiveId": None, "userErrors": user_errors(error)}
    return {"deletedObjectiveId": encode_id("Objective", deleted), "userErrors": []}


@strawberry.type
class ObjectiveMutations:
    @strawberry.mutation(
        description="Create an objective in a cycle, owned by the company, a team or a person.",
        metadata=mapped(Mutation(run_create_objective)),
    )
    async def create_objective(
        self, info: strawberry.Info, input: CreateObjectiveInput
    ) -> CreateObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change an objective's title, description, cycle, owner or progress source"
        " (only the fields given). Closed and archived objectives are read-only.",
        metadata=mapped(Mutation(run_update_objective)),
    )
    async def update_objective(
        self, info: strawberry.Info, input: UpdateObjectiveInput
    ) -> UpdateObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Activate a draft (DRAFT -> ACTIVE) or archive an objective (any -> ARCHIVED).",
        metadata=mapped(Mutation(run_set_objective_status)),
    )
    async def set_objective_status(
        self, info: strawberry.Info, input: SetObjectiveStatusInput
    ) -> SetObjectiveStatusPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Close a DRAFT or ACTIVE objective with its final score, outcome and"
        " reflection; it is read-only until reopened.",
        metadata=mapped(Mutation(run_close_objective)),
    )
    async def close_objective(
        self, info: strawberry.Info, input: CloseObjectiveInput
    ) -> CloseObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Make a closed or archived objective ACTIVE again; its last close is"
        " cleared (and kept in the audit history).",
        metadata=mapped(Mutation(run_reopen_objective)),
    )
    async def reopen_objective(
        self, info: strawberry.Info, input: ReopenObjectiveInput
    ) -> ReopenObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Delete an objective with its key results, check-ins and alignments to its"
        " parents, whose progress is recomputed. Refused while objectives are aligned under it"
        " and while it is closed or archived.",
        metadata=mapped(Mutation(run_delete_objective)),
    )
    async def delete_objective(
        self, info: strawberry.Info, input: DeleteObjectiveInput
    ) -> DeleteObjectivePayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
