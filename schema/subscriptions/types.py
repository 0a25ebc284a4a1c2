"""Live updates: the Subscription root, served over WebSocket (graphql-transport-ws).

Events reach every API instance through PostgreSQL (api/subscriptions/hub.py); for each one
the subscription's own selection is rendered by the planner, under the subscriber's identity,
from the ids the event concerns.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.ids import MalformedIdError, decode_id_of
from db.planner.mapping import Subscribed
from schema.fields import mapped, to_one

if TYPE_CHECKING:
    from schema.check_ins.types import CheckIn
    from schema.key_results.types import KeyResult
    from schema.objectives.types import Objective


@strawberry.input(
    description="Which objectives' events to receive; all given conditions must hold."
)
class ObjectiveEventFilter:
    objective_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events of this objective."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events of objectives this team owns."
    )
    cycle_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events of objectives in this cycle."
    )


@strawberry.input(description="Which events to receive; all given conditions must hold.")
class SubscriptionFilter(ObjectiveEventFilter):
    key_result_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only events of this key result."
    )


@strawberry.type(description="A check-in was recorded.")
class CheckInCreated:
    check_in: Annotated[CheckIn, strawberry.lazy("schema.check_ins.types")] = to_one(
        "check_in", "check_in_id", "The new check-in."
    )
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] = to_one(
        "key_result", "key_result_id", "Its key result, with the new current value."
    )
    objective: Annotated[Objective, strawberry.lazy("schema.objectives.types")] = to_one(
        "objective", "objective_id", "The objective, with its new progress."
    )


@strawberry.type(description="An objective's progress changed.")
class ObjectiveProgressChanged:
    objective: Annotated[Objective, strawberry.lazy("schema.objectives.types")] = to_one(
        "objective", "objective_id", "The objective, with its new progress."
    )


# Filter fields and the event facts they compare with (db/subscriptions.py).
_FILTERS = {
    "keyResultId": ("KeyResult", "key_result_id"),
    "objectiveId": ("Objective", "objective_id"),
    "teamId": ("Team", "owner_team_id"),
    "cycleId": ("Cycle", "cycle_id"),
}


def filter_problems(arguments: dict[str, Any]) -> list[str]:
    """Malformed ids in a subscription's filter, checked once when it starts."""
    problems = []
    for name, value in (arguments.get("filter") or {}).items():
        if value is None or name not in _FILTERS:
            continue
        try:
            decode_id_of(value, _FILTERS[name][0])
        except MalformedIdError as error:
            problems.append(error.message)
    return problems


def _matches(facts: dict[str, Any], arguments: dict[str, Any]) -> bool:
    for name, value in (arguments.get("filter") or {}).items():
        if value is None or name not in _FILTERS:
            continue
        type_name, fact = _FILTERS[name]
        if facts.get(fact) != decode_id_of(value, type_name):
            return False
    return True


async def _check_in_created(event: Any, arguments: dict[str, Any]) -> dict[str, Any] | None:
    facts: dict[str, Any] = event.facts
    return facts if _matches(facts, arguments) else None


async def _progress_changed(event: Any, arguments: dict[str, Any]) -> dict[str, Any] | None:
    facts: dict[str, Any] = event.facts
    return facts if _matches(facts, arguments) else None


async def _over_websocket() -> AsyncGenerator[Any, None]:
    # Strawberry needs a resolver to type the field; okrql's WebSocket endpoint serves
    # subscriptions through the planner instead (api/subscriptions), and the HTTP endpoint
    # refuses subscription operations, so this generator never runs.
    return
    yield


@strawberry.type(description="Live updates over WebSocket (graphql-transport-ws at /graphql).")
class Subscription:
    @strawberry.subscription(
        description="Each check-in recorded from now on (through any API instance).",
        metadata=mapped(Subscribed(frozenset({"check_in.created"}), _check_in_created)),
    )
    async def check_in_created(
        self, info: strawberry.Info, filter: SubscriptionFilter | None = None
    ) -> AsyncGenerator[CheckInCreated, None]:
        async for item in _over_websocket():
            yield item

    @strawberry.subscription(
        description="Each change of an objective's stored progress from now on.",
        metadata=mapped(Subscribed(frozenset({"objective.progress_changed"}), _progress_changed)),
    )
    async def objective_progress_changed(
        self, info: strawberry.Info, filter: ObjectiveEventFilter | None = None
    ) -> AsyncGenerator[ObjectiveProgressChanged, None]:
        async for item in _over_websocket():
            yield item
