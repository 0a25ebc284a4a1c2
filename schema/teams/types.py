"""Teams (departments and their sub-teams)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from db.planner.mapping import Many, ReadContext, Row
from domain.permissions import may_administer
from schema import oracle
from schema.connections import Connection
from schema.fields import column, derived, mapped, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.objectives.types import Objective
    from schema.users.types import User


def _viewer_can_update(row: Row, ctx: ReadContext) -> bool:
    return may_administer(ctx.actor)


@strawberry.type(description="A team or department of the organisation.")
class Team(Node):
    id: strawberry.ID = node_id("Team")
    name: str = column("name", "The team's name, unique in the organisation.")
    description: str | None = column("description", "What the team does.")
    parent_team: Team | None = to_one(
        "team", "parent_team_id", "The team this one is part of, if any."
    )
    created_at: DateTime = column("created_at", "When the team was created.")
    version: int = column(
        "version", "Increases with every change; send it back to update without losing edits."
    )
    updated_at: DateTime = column("updated_at", "When the team last changed.")
    viewer_can_update: bool = derived(
        _viewer_can_update,
        ("id",),
        "Whether the caller may change this team and its members (admins only), so a frontend"
        " can hide what would be FORBIDDEN.",
    )

    @strawberry.field(
        description="The team's members, by name.", metadata=mapped(Many("team.members"))
    )
    async def members(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[User, strawberry.lazy("schema.users.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Teams that are part of this one, by name.",
        metadata=mapped(Many("team.child_teams")),
    )
    async def child_teams(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Team]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Objectives the team owns, oldest first.",
        metadata=mapped(Many("team.objectives")),
    )
    async def objectives(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[Objective, strawberry.lazy("schema.objectives.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]
