"""Key results: how an objective's progress is measured."""

from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.ids import decode_id_of
from db.planner.mapping import FilterArg, Many, ReadContext, Row
from domain.check_ins import CheckInCadence, is_overdue, next_check_in_due
from domain.cycles import expected_progress
from domain.key_results import (
    KeyResultDirection,
    KeyResultKind,
    KeyResultType,
    KeyResultUnit,
    ThresholdDirection,
    direction,
    progress,
    score,
)
from domain.objectives import PaceStatus, pace_status
from domain.permissions import (
    KeyResultOwnership,
    ObjectiveOwnership,
    may_check_in,
    may_update_key_result,
)
from schema import oracle
from schema.connections import Connection
from schema.fields import column, derived, mapped, node_id, to_one
from schema.node import Node
from schema.objectives.types import Objective
from schema.scalars import DateTime, Decimal
from schema.users.types import User

if TYPE_CHECKING:
    from schema.check_ins.types import CheckIn

strawberry.enum(
    KeyResultKind,
    description="NUMERIC: from a start value to a target (a target below the start is a"
    " decrease). THRESHOLD: keep a value at or above / at or below a bound. MILESTONE: done or"
    " not.",
)
strawberry.enum(
    KeyResultType,
    description="RESULT: an outcome. ACTIVITY: work that drives one. Both count toward progress.",
)
strawberry.enum(KeyResultUnit, description="The unit of a key result.")
strawberry.enum(
    ThresholdDirection, description="Which side of its bound a THRESHOLD value must stay."
)
strawberry.enum(KeyResultDirection, description="Whether a NUMERIC key result aims up or down.")
strawberry.enum(CheckInCadence, description="How often the key result's owner reports a value.")


def _ownership(row: Row) -> KeyResultOwnership:
    return KeyResultOwnership(
        row["owner_user_id"],
        ObjectiveOwnership(row["objective_owner_user_id"], row["objective_owner_team_id"]),
    )


def _viewer_can_update(row: Row, ctx: ReadContext) -> bool:
    return may_update_key_result(ctx.actor, _ownership(row))


def _viewer_can_check_in(row: Row, ctx: ReadContext) -> bool:
    return may_check_in(ctx.actor, _ownership(row))


_OWNERSHIP_NEEDS = ("owner_user_id", "objective_owner_user_id", "objective_owner_team_id")


def _progress(row: Row, ctx: ReadContext) -> float:
    # Once per key result of a dashboard (thousands per answer): the rule takes the numbers as
    # the database's text and memoises on them; Float is the wire form, and the rounded
    # decimal's nearest float prints as that decimal.
    return float(_exact_progress(row))


def _exact_progress(row: Row) -> PyDecimal:
    return progress(
        row["kind"],
        row["start_value"],
        row["target_value"],
        row["current_value"],
        row["threshold_direction"],
        row["done"],
    )


def _score(row: Row, ctx: ReadContext) -> float:
    return float(score(_exact_progress(row)))


def _direction(row: Row, ctx: ReadContext) -> str | None:
    return direction(row["start_value"], row["target_value"])


def _pace(row: Row, ctx: ReadContext) -> str | None:
    expected = expected_progress(
        row["cycle_starts_on"], row["cycle_ends_on"], ctx.now, ctx.time_zone
    )
    return pace_status(_score(row, ctx), expected, row["latest_confidence"])


def _next_due(row: Row, ctx: ReadContext) -> object:
    return next_check_in_due(row["cadence"], row["last_measured_at"], row["created_at"])


def _overdue(row: Row, ctx: ReadContext) -> bool:
    return not row["done"] and is_overdue(_next_due(row, ctx), ctx.now)  # type: ignore[arg-type]


_SCORE_NEEDS = (
    "kind",
    "start_value",
    "target_value",
    "current_value",
    "threshold_direction",
    "done",
)
_DUE_NEEDS = ("cadence", "last_measured_at", "created_at")


@strawberry.type(description="A measurable result that shows an objective's progress.")
class KeyResult(Node):
    id: strawberry.ID = node_id("KeyResult")
    objective: Objective = to_one("objective", "objective_id", "The objective it measures.")
    title: str = column("title", "What is measured.")
    description: str | None = column("description", "More about the key result.")
    kind: KeyResultKind = column("kind", "How progress is measured.")
    type: KeyResultType = column("result_type", "Whether it is an outcome or an activity.")
    unit: KeyResultUnit = column("unit", "The unit of its values.")
    currency: str | None = column("currency", "ISO 4217 code when the unit is CURRENCY.")
    unit_label: str | None = column("unit_label", "The label when the unit is CUSTOM.")
    start_value: Decimal | None = column("start_value", "Where a NUMERIC key result starts.")
    target_value: Decimal | None = column(
        "target_value", "The target (NUMERIC) or the bound (THRESHOLD)."
    )
    threshold_direction: ThresholdDirection | None = column(
        "threshold_direction", "For THRESHOLD: at least or at most the bound."
    )
    direction: KeyResultDirection | None = derived(
        _direction,
        ("start_value", "target_value"),
        "For NUMERIC: INCREASE or DECREASE (target below start).",
    )
    current_value: Decimal | None = column(
        "current_value",
        "The value of the latest check-in by measured time; before the first check-in the start"
        " value (null for THRESHOLD and MILESTONE, which have none; lastCheckIn is null until"
        " then).",
    )
    done: bool = column("done", "For MILESTONE: whether it is done (latest check-in).")
    weight: Decimal = column("weight", "Its weight in the objective's progress (> 0).")
    progress: float = derived(
        _progress,
        _SCORE_NEEDS,
        "Raw progress: (current - start) / (target - start) for NUMERIC (0 before the first"
        " check-in, when current is the start), 1 or 0 for THRESHOLD and MILESTONE; may leave"
        " [0, 1]. Exact decimal arithmetic, rounded half-even to 6 decimal places.",
    )
    score: float = derived(
        _score,
        _SCORE_NEEDS,
        "Progress clamped to [0, 1], at the same precision (6 decimal places, half-even).",
    )
    pace_status: PaceStatus | None = derived(
        _pace,
        (*_SCORE_NEEDS, "cycle_starts_on", "cycle_ends_on", "latest_confidence"),
        "Score against the cycle's expected progress, overridden by the latest confidence.",
    )
    owner: User | None = to_one(
        "user", "owner_user_id", "Who is responsible for reporting its values."
    )
    cadence: CheckInCadence = column("cadence", "How often values are reported.")
    data_source: str | None = column(
        "data_source", "Where the values come from (e.g. CRM, email platform)."
    )
    external_id: str | None = column(
        "external_id", "The key result's id in an integration, unique in the organisation."
    )
    last_check_in: Annotated[CheckIn, strawberry.lazy("schema.check_ins.types")] | None = to_one(
        "check_in",
        "last_check_in_id",
        "The latest check-in by measured time.",
        projection={
            "key_result_id": "id",
            "value": "current_value",
            "done": "last_done",
            "confidence": "latest_confidence",
            "measured_at": "last_measured_at",
        },
    )
    next_check_in_due: DateTime = derived(
        _next_due, _DUE_NEEDS, "When the next check-in is due, from the cadence."
    )
    is_overdue: bool = derived(
        _overdue,
        ("done", *_DUE_NEEDS),
        "Whether the next check-in is past due (never for a done milestone).",
    )
    version: int = column("version", "Increases with every change.")
    created_at: DateTime = column("created_at", "When the key result was created.")
    updated_at: DateTime = column("updated_at", "When the key result last changed.")
    viewer_can_update: bool = derived(
        _viewer_can_update,
        _OWNERSHIP_NEEDS,
        "Whether the caller may change this key result, so a frontend can hide what would be"
        " FORBIDDEN.",
    )
    viewer_can_check_in: bool = derived(
        _viewer_can_check_in,
        _OWNERSHIP_NEEDS,
        "Whether the caller may check in on this key result (its owner, the objective's owner"
        " or team, admins, keys with checkins:write).",
    )

    @strawberry.field(
        description="The check-in history, latest measured first.",
        metadata=mapped(Many("key_result.check_ins")),
    )
    async def check_ins(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[CheckIn, strawberry.lazy("schema.check_ins.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]


@strawberry.input(description="Narrows a list of key results; all given conditions must hold.")
class KeyResultFilter:
    objective_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only key results of this objective."
    )
    owner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only key results this person reports."
    )
    overdue: bool | None = strawberry.field(
        default=None, description="true: only key results whose next check-in is past due."
    )


KEY_RESULTS = Many(
    "key_results",
    filters={
        "objectiveId": FilterArg("objective", lambda v: decode_id_of(v, "Objective")),
        "ownerId": FilterArg("owner", lambda v: decode_id_of(v, "User")),
        "overdue": FilterArg("overdue", bool),
    },
    parent_key="__root",
)
