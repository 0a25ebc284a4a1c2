"""Member mutations: invite (and resend or revoke the invitation), change role or profile,
deactivate (optionally handing over what the person owns) and reactivate."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, TypedDict

import strawberry

from domain.members import (
    INVITATION_DAYS,
    INVITATION_DAYS_MAX,
    DeactivateMember,
    InviteMember,
    MemberRole,
    ReactivateMember,
    ResendInvitation,
    RevokeInvitation,
    UpdateMember,
)
from schema.errors import MANAGES_MEMBERS, UserError
from schema.fields import to_one, value
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from services import members as service

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.members.types import Invitation
    from schema.users.types import User

_EXPIRY = (
    f"Days until the invitation stops working: 1 to {INVITATION_DAYS_MAX}"
    f" (default {INVITATION_DAYS})."
)
_VERSION = (
    "The version the change is based on; refused (STALE_VERSION) if the member changed since."
)


@strawberry.input(description="A person to invite to the organisation.")
class InviteMemberInput:
    email: str = strawberry.field(
        description="Their address; unique in the organisation (case-insensitive). Their first"
        " sign-in with this verified email accepts the invitation."
    )
    name: str = strawberry.field(description="Their name, at most 200 characters.")
    role: MemberRole = strawberry.field(
        default=MemberRole.MEMBER, description="Their role once they join."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Teams they join (at once: they show as INVITED members)."
    )
    expires_in_days: int | None = strawberry.field(default=None, description=_EXPIRY)


@strawberry.input(description="An invitation to send again, with a new token and expiry.")
class ResendInvitationInput:
    id: strawberry.ID = strawberry.field(description="The invitation (pending or expired).")
    expires_in_days: int | None = strawberry.field(default=None, description=_EXPIRY)


@strawberry.input(description="An invitation to revoke.")
class RevokeInvitationInput:
    id: strawberry.ID = strawberry.field(description="The invitation (pending or expired).")


@strawberry.input(description="Changes to a member: fields left out keep their values.")
class UpdateMemberInput:
    id: strawberry.ID = strawberry.field(description="The member (a User id).")
    name: str | None = change("A new name.")
    email: str | None = change("A new email, unique in the organisation.")
    role: MemberRole | None = change(
        "A new role; the organisation's last active admin keeps ADMIN (LAST_ADMIN)."
    )
    version: int | None = change(_VERSION)


@strawberry.input(description="A member to deactivate.")
class DeactivateMemberInput:
    id: strawberry.ID = strawberry.field(description="The member (a User id).")
    transfer_ownership_to: strawberry.ID | None = strawberry.field(
        default=None,
        description="An active member who takes over the objectives and key results this"
        " member owns, in the same transaction; none: they stay this member's.",
    )


@strawberry.input(description="A deactivated member to let in again.")
class ReactivateMemberInput:
    id: strawberry.ID = strawberry.field(description="The member (a User id).")


_LazyUser = Annotated["User", strawberry.lazy("schema.users.types")]
_LazyInvitation = Annotated["Invitation", strawberry.lazy("schema.members.types")]


class InvitedResult(TypedDict):
    user_id: int
    invitation_id: int
    invitation_token: str


class InvitationTokenResult(TypedDict):
    invitation_id: int
    invitation_token: str


class InvitationResult(TypedDict):
    invitation_id: int


class MemberResult(TypedDict):
    user_id: int


class DeactivatedResult(TypedDict):
    user_id: int
    transferred_objectives: int
    transferred_key_results: int


@strawberry.type(description="The result of inviteMember.")
class InviteMemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The invited person, INVITED.")
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The pending invitation."
    )
    invitation_token: str | None = value(
        "invitation_token",
        "The invitation's token, shown only now, for setups that accept with it"
        " (`X-Invitation-Token`); okrql keeps only its hash.",
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of resendInvitation.")
class ResendInvitationPayload:
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The invitation, with its new expiry."
    )
    invitation_token: str | None = value(
        "invitation_token", "The new token, shown only now; the previous one no longer works."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of revokeInvitation.")
class RevokeInvitationPayload:
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The invitation, REVOKED."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateMember or reactivateMember.")
class MemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The member as changed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deactivateMember.")
class DeactivateMemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The member, DEACTIVATED.")
    transferred_objectives: int = value(
        "transferred_objectives", "How many objectives moved to the new owner."
    )
    transferred_key_results: int = value(
        "transferred_key_results", "How many key results moved to the new owner."
    )
    user_errors: list[UserError] = user_errors_field()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _invite(ctx: RequestContext, command: InviteMember) -> InvitedResult:
    invited = await service.invite_member(ctx.conn, ctx.identity, command, _now())
    return {
        "user_id": invited.user_id,
        "invitation_id": invited.invitation_id,
        "invitation_token": invited.token,
    }


async def _resend(ctx: RequestContext, command: ResendInvitation) -> InvitationTokenResult:
    invitation_id, token = await service.resend_invitation(ctx.conn, ctx.identity, command, _now())
    return {"invitation_id": invitation_id, "invitation_token": token}


async def _revoke(ctx: RequestContext, command: RevokeInvitation) -> InvitationResult:
    return {
        "invitation_id": await service.revoke_invitation(ctx.conn, ctx.identity, command, _now())
    }


async def _update(ctx: RequestContext, command: UpdateMember) -> MemberResult:
    return {"user_id": await service.update_member(ctx.conn, ctx.identity, command)}


async def _deactivate(ctx: RequestContext, command: DeactivateMember) -> DeactivatedResult:
    done = await service.deactivate_member(ctx.conn, ctx.identity, command)
    return {
        "user_id": done.user_id,
        "transferred_objectives": done.transferred_objectives,
        "transferred_key_results": done.transferred_key_results,
    }


async def _reactivate(ctx: RequestContext, command: ReactivateMember) -> MemberResult:
    return {"user_id": await service.reactivate_member(ctx.conn, ctx.identity, command)}


@strawberry.type
class MemberMutations:
    invite_member = mutation(
        input=InviteMemberInput,
        command=InviteMember,
        ids={"teamIds": "Team"},
        null_means_absent=True,
        call=_invite,
        payload=InviteMemberPayload,
        result=InvitedResult,
        permission=MANAGES_MEMBERS,
        description="Invite a person by email (admins only): they show as an INVITED member at"
        " once and join with the role and teams given on their first sign-in.",
    )
    resend_invitation = mutation(
        input=ResendInvitationInput,
        command=ResendInvitation,
        ids={"id": "Invitation"},
        null_means_absent=True,
        call=_resend,
        payload=ResendInvitationPayload,
        result=InvitationTokenResult,
        permission=MANAGES_MEMBERS,
        description="Send an invitation again with a new token and expiry (admins only).",
    )
    revoke_invitation = mutation(
        input=RevokeInvitationInput,
        command=RevokeInvitation,
        ids={"id": "Invitation"},
        call=_revoke,
        payload=RevokeInvitationPayload,
        result=InvitationResult,
        permission=MANAGES_MEMBERS,
        description="Revoke an invitation (admins only): its token stops working and the"
        " invitee leaves the organisation.",
    )
    update_member = mutation(
        input=UpdateMemberInput,
        command=UpdateMember,
        ids={"id": "User"},
        call=_update,
        payload=MemberPayload,
        result=MemberResult,
        permission=MANAGES_MEMBERS,
        description="Change a member's name, email or role (admins only).",
    )
    deactivate_member = mutation(
        input=DeactivateMemberInput,
        command=DeactivateMember,
        ids={"id": "User", "transferOwnershipTo": "User"},
        call=_deactivate,
        payload=DeactivateMemberPayload,
        result=DeactivatedResult,
        refused={"transferred_objectives": 0, "transferred_key_results": 0},
        permission=MANAGES_MEMBERS,
        description="Deactivate a member (admins only): they cannot sign in, and their tokens"
        " stop working with the next request; what they wrote stays, and what they own stays"
        " theirs unless transferred.",
    )
    reactivate_member = mutation(
        input=ReactivateMemberInput,
        command=ReactivateMember,
        ids={"id": "User"},
        call=_reactivate,
        payload=MemberPayload,
        result=MemberResult,
        permission=MANAGES_MEMBERS,
        description="Let a deactivated member sign in again, with their role (admins only).",
    )
