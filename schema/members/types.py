"""Invitations: how a person is asked to join, and what became of it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from db.planner.mapping import FilterArg, Many, ReadContext, Row, ToOneList
from domain.members import InvitationStatus, MemberRole, invitation_status
from schema import oracle
from schema.fields import column, derived, mapped, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.teams.types import Team
    from schema.users.types import User

strawberry.enum(
    InvitationStatus,
    description="PENDING until the invitee signs in (or is past its expiry: EXPIRED), then"
    " ACCEPTED; or REVOKED by an admin.",
)


def _status(row: Row, ctx: ReadContext) -> InvitationStatus:
    return invitation_status(row["accepted_at"], row["revoked_at"], row["expires_at"], ctx.now)


@strawberry.type(
    description="An invitation to join the organisation, accepted on the invitee's first"
    " sign-in with the invited email (or with its token). Visible to admins only; the token"
    " is shown once, when the invitation is created or resent."
)
class Invitation(Node):
    id: strawberry.ID = node_id("Invitation")
    email: str = column("email", "The address the invitation was sent to.")
    role: MemberRole = column("role", "The role the invitee was invited with.")
    status: InvitationStatus = derived(
        _status, ("accepted_at", "revoked_at", "expires_at"), "What became of the invitation."
    )
    member: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The invited person (gone once a revoked invitee leaves)."
    )
    invited_by: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "invited_by", "The admin who sent the invitation; null for an integration."
    )
    teams: list[Annotated[Team, strawberry.lazy("schema.teams.types")] | None] = strawberry.field(
        resolver=oracle.resolve_to_one_list,
        description="The teams the invitee joins (null where a team was deleted since).",
        metadata=mapped(ToOneList("team", "team_ids")),
    )
    created_at: DateTime = column("created_at", "When the invitation was first sent.")
    sent_at: DateTime = column("sent_at", "When the invitation was last sent.")
    send_count: int = column("send_count", "How often the invitation was sent.")
    expires_at: DateTime = column("expires_at", "When the invitation stops working.")
    accepted_at: DateTime | None = column("accepted_at", "When the invitee joined.")
    revoked_at: DateTime | None = column("revoked_at", "When the invitation was revoked.")


@strawberry.input(description="Narrows a list of invitations.")
class InvitationFilter:
    status: list[InvitationStatus] | None = strawberry.field(
        default=None, description="Only invitations in one of these states."
    )


INVITATIONS = Many(
    "invitations",
    filters={"status": FilterArg("status", lambda v: [str(s) for s in v])},
    parent_key="__viewer_id",
)
