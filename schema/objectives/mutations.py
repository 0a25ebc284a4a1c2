"""Objective mutations: create, update, the lifecycle (status, close, reopen), delete."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar

import strawberry

from db.ids import encode_id
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
from domain.validation import Command
from schema.errors import WRITES_OBJECTIVES, UserError
from schema.fields import to_one, value
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.objectives.types import Objective
from schema.payloads import user_errors_field
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
    title: str | None = change("A new title; trimmed, 1 to 200 characters; cannot be null.")
    description: str | None = change("A new description; null or blank clears it.")
    cycle_id: strawberry.ID | None = change(
        "Move the objective to another cycle; it must still overlap the cycles of"
        " the objectives it is aligned with."
    )
    level: ObjectiveLevel | None = change(
        "A new level; an owner field left out is kept when it fits the new level"
        " and cleared otherwise."
    )
    owner_team_id: strawberry.ID | None = change("The owning team (level TEAM only).")
    owner_user_id: strawberry.ID | None = change("The owning person (level PERSON only).")
    progress_source: ProgressSource | None = change(
        "What drives the progress; changing it rescores the objective at once."
    )
    version: int | None = change(
        "The version the change was made on; if the objective has changed since,"
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
    version: int | None = change(_VERSION)


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
    version: int | None = change(_VERSION)


@strawberry.input(description="Make a closed or archived objective ACTIVE again.")
class ReopenObjectiveInput:
    id: strawberry.ID = strawberry.field(description="The CLOSED or ARCHIVED objective.")
    version: int | None = change(_VERSION)


@strawberry.input(description="Delete an objective with its key results and check-ins.")
class DeleteObjectiveInput:
    id: strawberry.ID = strawberry.field(
        description="The objective; refused while others are aligned under it."
    )
    version: int | None = change(_VERSION)


# --- Payloads -----------------------------------------------------------------------------


class ObjectiveResult(TypedDict):
    objective_id: int


class DeletedObjectiveResult(TypedDict):
    deleted_objective_id: str


@strawberry.type(description="The result of createObjective.")
class CreateObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The new objective.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateObjective.")
class UpdateObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The objective as changed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of setObjectiveStatus.")
class SetObjectiveStatusPayload:
    objective: Objective | None = to_one(
        "objective", "objective_id", "The objective in its new status."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of closeObjective.")
class CloseObjectivePayload:
    objective: Objective | None = to_one(
        "objective", "objective_id", "The closed objective, with its final score and outcome."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of reopenObjective.")
class ReopenObjectivePayload:
    objective: Objective | None = to_one("objective", "objective_id", "The ACTIVE objective.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deleteObjective.")
class DeleteObjectivePayload:
    deleted_objective_id: strawberry.ID | None = value(
        "deleted_objective_id", "The global id of the deleted objective."
    )
    user_errors: list[UserError] = user_errors_field()


# --- Running the use cases ----------------------------------------------------------------

UseCase = Callable[["Connection", "Identity", C, dt.datetime], Awaitable[int]]


def _objective_call(
    use_case: UseCase[C],
) -> Callable[[RequestContext, C], Awaitable[ObjectiveResult]]:
    async def call(ctx: RequestContext, command: C) -> ObjectiveResult:
        now = dt.datetime.now(dt.UTC)
        return {"objective_id": await use_case(ctx.conn, ctx.identity, command, now)}

    return call


async def _delete(ctx: RequestContext, command: DeleteObjective) -> DeletedObjectiveResult:
    deleted = await service.delete_objective(ctx.conn, ctx.identity, command)
    return {"deleted_objective_id": encode_id("Objective", deleted)}


def _objective_mutation(
    input: type, command: type[C], use_case: UseCase[C], payload: type, description: str
) -> Any:
    return mutation(
        input=input,
        command=command,
        ids=_ID_TYPES,
        call=_objective_call(use_case),
        payload=payload,
        result=ObjectiveResult,
        permission=WRITES_OBJECTIVES,
        description=description,
    )


@strawberry.type
class ObjectiveMutations:
    create_objective = _objective_mutation(
        CreateObjectiveInput,
        CreateObjective,
        service.create_objective,
        CreateObjectivePayload,
        "Create an objective in a cycle, owned by the company, a team or a person.",
    )
    update_objective = _objective_mutation(
        UpdateObjectiveInput,
        UpdateObjective,
        service.update_objective,
        UpdateObjectivePayload,
        "Change an objective's title, description, cycle, owner or progress source (only the"
        " fields given). Closed and archived objectives are read-only.",
    )
    set_objective_status = _objective_mutation(
        SetObjectiveStatusInput,
        SetObjectiveStatus,
        service.set_objective_status,
        SetObjectiveStatusPayload,
        "Activate a draft (DRAFT -> ACTIVE) or archive an objective (any -> ARCHIVED).",
    )
    close_objective = _objective_mutation(
        CloseObjectiveInput,
        CloseObjective,
        service.close_objective,
        CloseObjectivePayload,
        "Close a DRAFT or ACTIVE objective with its final score, outcome and reflection; it is"
        " read-only until reopened.",
    )
    reopen_objective = _objective_mutation(
        ReopenObjectiveInput,
        ReopenObjective,
        service.reopen_objective,
        ReopenObjectivePayload,
        "Make a closed or archived objective ACTIVE again; its last close is cleared (and kept"
        " in the audit history).",
    )
    delete_objective = mutation(
        input=DeleteObjectiveInput,
        command=DeleteObjective,
        ids=_ID_TYPES,
        call=_delete,
        payload=DeleteObjectivePayload,
        result=DeletedObjectiveResult,
        permission=WRITES_OBJECTIVES,
        description="Delete an objective with its key results, check-ins and alignments to its"
        " parents, whose progress is recomputed. Refused while objectives are aligned under it"
        " and while it is closed or archived.",
    )
