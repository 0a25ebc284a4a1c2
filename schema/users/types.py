"""People as members of the request's organisation."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.planner.mapping import Many
from schema import oracle
from schema.connections import Connection
from schema.fields import column, mapped, node_id
from schema.node import Node
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.objectives.types import Objective
    from schema.teams.types import Team


@strawberry.enum(description="What a member may do in the organisation.")
class MemberRole(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


@strawberry.type(description="A person, as a member of the organisation.")
class User(Node):
    id: strawberry.ID = node_id("User")
    name: str = column("name", "The person's display name.")
    email: str = column("email", "The person's email address.")
    role: MemberRole = column("role", "The person's role in this organisation.")
    created_at: DateTime = column("created_at", "When the person's account was created.")
    joined_at: DateTime = column("joined_at", "When the person joined this organisation.")

    @strawberry.field(
        description="The teams the person belongs to, by name.",
        metadata=mapped(Many("user.teams")),
    )
    async def teams(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[Team, strawberry.lazy("schema.teams.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Objectives the person owns personally, oldest first.",
        metadata=mapped(Many("user.objectives")),
    )
    async def objectives(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Annotated[Objective, strawberry.lazy("schema.objectives.types")]]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]
