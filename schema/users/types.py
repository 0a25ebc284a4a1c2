"""People as members of the request's organisation."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.ids import decode_id_of
from db.planner.mapping import FilterArg, Many
from domain.members import MemberRole, MemberStatus
from schema import oracle
from schema.connections import Connection
from schema.fields import column, mapped, node_id
from schema.inputs import stored_text
from schema.node import Node
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.objectives.types import Objective
    from schema.teams.types import Team


strawberry.enum(MemberRole, description="What a member may do in the organisation.")
strawberry.enum(
    MemberStatus,
    description="Where a person stands in the organisation: INVITED until they accept their"
    " invitation, ACTIVE, or DEACTIVATED (cannot sign in; what they wrote and own stays).",
)


@strawberry.type(description="A person, as a member of the organisation.")
class User(Node):
    id: strawberry.ID = node_id("User")
    name: str = column("name", "The person's display name.")
    email: str = column("email", "The person's email address.")
    role: MemberRole = column("role", "The person's role in this organisation.")
    status: MemberStatus = column(
        "status",
        "INVITED, ACTIVE or DEACTIVATED: owners and authors keep showing when deactivated.",
    )
    deactivated_at: DateTime | None = column(
        "deactivated_at", "When the person was deactivated; null unless DEACTIVATED."
    )
    external_id: str | None = column(
        "external_id", "The person's id in the identity provider that provisions them (SCIM)."
    )
    version: int = column(
        "version", "Increases with every change; send it back to update without losing edits."
    )
    created_at: DateTime = column(
        "created_at",
        "When the person was added to this organisation (the same as joinedAt).",
        deprecated="Use joinedAt: when a person's account began elsewhere is not this"
        " organisation's to know.",
    )
    joined_at: DateTime = column(
        "joined_at", "When the person was added to this organisation (invited or provisioned)."
    )
    updated_at: DateTime = column("updated_at", "When the membership last changed.")

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


_LIKE_SPECIALS = str.maketrans({"\\": "\\\\", "%": "\\%", "_": "\\_"})


def search_pattern(raw: Any) -> str:
    """A prefix search as the `search` filter's LIKE pattern: case-insensitive, and the
    client's `%` and `_` are plain characters."""
    return stored_text(raw).strip().lower().translate(_LIKE_SPECIALS) + "%"


@strawberry.input(description="Narrows a list of members; all given conditions must hold.")
class MemberFilter:
    role: list[MemberRole] | None = strawberry.field(
        default=None, description="Only members with one of these roles."
    )
    status: list[MemberStatus] | None = strawberry.field(
        default=None, description="Only members in one of these statuses (all when absent)."
    )
    team_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only members of this team."
    )
    search: str | None = strawberry.field(
        default=None,
        description="Only members whose name, a word of their name, or email starts with this"
        " (case-insensitive).",
    )


MEMBERS = Many(
    "users",
    filters={
        "role": FilterArg("role", lambda v: [str(r) for r in v]),
        "status": FilterArg("status", lambda v: [str(s) for s in v]),
        "teamId": FilterArg("team", lambda v: decode_id_of(v, "Team")),
        "search": FilterArg("search", search_pattern),
    },
    parent_key="__root",
)
