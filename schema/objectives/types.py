"""Objectives: what the organisation, a team or a person wants to achieve in a cycle."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.ids import decode_id_of
from db.planner.mapping import FilterArg, Many, ReadContext, Row
from domain.cycles import expected_progress
from domain.objectives import (
    ObjectiveLevel,
    ObjectiveOutcome,
    ObjectiveStatus,
    PaceStatus,
    ProgressSource,
    pace_status,
)
from domain.permissions import ObjectiveOwnership, may_write_objective
from schema import oracle
from schema.connections import Connection, OrderDirection
from schema.cycles.types import Cycle
from schema.fields import column, derived, mapped, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime
from schema.teams.types import Team
from schema.users.types import User

if TYPE_CHECKING:
    from schema.check_ins.types import CheckIn
    from schema.key_results.types import KeyResult

strawberry.enum(
    ObjectiveLevel, description="Who owns an objective: the company, a team or a person."
)
strawberry.enum(
    ObjectiveStatus,
    description="Lifecycle: DRAFT -> ACTIVE -> CLOSED; any -> ARCHIVED. CLOSED and ARCHIVED are"
    " read-only until reopened.",
)
strawberry.enum(ObjectiveOutcome, description="How a closed objective ended.")
strawberry.enum(
    ProgressSource,
    description="What drives an objective's progress: its key results, its aligned children, or"
    " both.",
)
strawberry.enum(
    PaceStatus,
    description="Progress against the time elapsed in the cycle; the latest check-in's"
    " confidence overrides it.",
)


def _expected(row: Row, ctx: ReadContext) -> float:
    return expected_progress(row["cycle_starts_on"], row["cycle_ends_on"], ctx.now, ctx.time_zone)


def _pace(row: Row, ctx: ReadContext) -> str | None:
    return pace_status(row["progress"], _expected(row, ctx), row["latest_confidence"])


_PACE_NEEDS = ("progress", "cycle_starts_on", "cycle_ends_on", "latest_confidence")


def _viewer_can_update(row: Row, ctx: ReadContext) -> bool:
    return may_write_objective(
        ctx.actor, ObjectiveOwnership(row["owner_user_id"], row["owner_team_id"])
    )


@strawberry.type(description="A clear, time-bound goal in a cycle, measured by key results.")
class Objective(Node):
    id: strawberry.ID = node_id("Objective")
    title: str = column("title", "What the objective wants to achieve.")
    description: str | None = column("description", "Why it matters: the purpose behind it.")
    level: ObjectiveLevel = column("level", "Whether the company, a team or a person owns it.")
    status: ObjectiveStatus = column("status", "Where the objective is in its lifecycle.")
    cycle: Cycle = to_one("cycle", "cycle_id", "The cycle the objective belongs to.")
    owner_team: Team | None = to_one("team", "owner_team_id", "The owning team (level TEAM).")
    owner_user: User | None = to_one("user", "owner_user_id", "The owning person (level PERSON).")
    progress_source: ProgressSource = column(
        "progress_source", "What drives the objective's progress."
    )
    progress: float | None = column(
        "progress",
        "Weighted progress in [0, 1] (key results' scores and/or aligned children by weight),"
        " exact and rounded half-even to 6 decimal places; null when there is nothing to score"
        " yet.",
    )
    expected_progress: float = derived(
        _expected,
        ("cycle_starts_on", "cycle_ends_on"),
        "The elapsed fraction of the objective's cycle now, in [0, 1].",
    )
    pace_status: PaceStatus | None = derived(
        _pace,
        _PACE_NEEDS,
        "ON_TRACK / AT_RISK / OFF_TRACK: progress against expected progress, overridden by the"
        " latest check-in's confidence; null with neither.",
    )
    final_score: float | None = column(
        "final_score", "The score kept when the objective was closed, in [0, 1]."
    )
    outcome: ObjectiveOutcome | None = column("outcome", "How the objective ended, once closed.")
    reflection: str | None = column("reflection", "What was learned, written when closing.")
    closed_at: DateTime | None = column("closed_at", "When the objective was closed.")
    version: int = column(
        "version", "Increases with every change; send it back to update without losing edits."
    )
    created_at: DateTime = column("created_at", "When the objective was created.")
    updated_at: DateTime = column("updated_at", "When the objective last changed.")
    viewer_can_update: bool = derived(
        _viewer_can_update,
        ("owner_user_id", "owner_team_id"),
        "Whether the caller may change this objective (edit, lifecycle, delete, key results,"
        " alignments), so a frontend can hide what would be FORBIDDEN.",
    )

    @strawberry.field(
        description="The objective's key results, in their display order.",
        metadata=mapped(Many("objective.key_results")),
    )
    async def key_results(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[KeyResult, strawberry.lazy("schema.key_results.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Objectives this one supports (the cascade upwards), oldest first.",
        metadata=mapped(Many("objective.parents")),
    )
    async def parents(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Objective]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Objectives aligned under this one (the cascade downwards), oldest first.",
        metadata=mapped(Many("objective.children")),
    )
    async def children(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Objective]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Check-ins across all of the objective's key results, latest measured first.",
        metadata=mapped(Many("objective.check_ins")),
    )
    async def check_ins(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[CheckIn, strawberry.lazy("schema.check_ins.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]


@strawberry.input(description="Narrows a list of objectives; all given conditions must hold.")
class ObjectiveFilter:
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only objectives of this cycle."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only objectives owned by this team."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only objectives owned by this person."
    )
    status: list[ObjectiveStatus] | None = strawberry.field(
        default=None, description="Only objectives in one of these statuses."
    )
    level: ObjectiveLevel | None = strawberry.field(
        default=None, description="Only objectives of this level."
    )
    roots_only: bool | None = strawberry.field(
        default=None, description="Only objectives that support no other objective."
    )


@strawberry.enum(description="What objectives can be sorted by.")
class ObjectiveOrderField(StrEnum):
    TITLE = "TITLE"
    PROGRESS = "PROGRESS"
    CREATED_AT = "CREATED_AT"


@strawberry.input(description="The sort order of a list of objectives.")
class ObjectiveOrder:
    field: ObjectiveOrderField = strawberry.field(description="What to sort by.")
    direction: OrderDirection = strawberry.field(
        default=OrderDirection.ASC, description="Ascending or descending."
    )


OBJECTIVES = Many(
    "objectives",
    filters={
        "cycleId": FilterArg("cycle", lambda v: decode_id_of(v, "Cycle")),
        "teamId": FilterArg("team", lambda v: decode_id_of(v, "Team")),
        "ownerId": FilterArg("owner", lambda v: decode_id_of(v, "User")),
        "status": FilterArg("status", lambda v: [str(s) for s in v]),
        "level": FilterArg("level", str),
        "rootsOnly": FilterArg("roots_only"),
    },
    orders={"TITLE": "title", "PROGRESS": "progress", "CREATED_AT": "created"},
    parent_key="__root",
)
