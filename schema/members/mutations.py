"""Member mutations: invite (and resend or revoke the invitation), change role or profile,
deactivate (optionally handing over what the person owns) and reactivate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry

from db.planner.mapping import Mutation
from domain.errors import DomainError, Problem, raise_problems
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
from domain.permissions import may_manage_members
from domain.validation import Command, parse
from schema import oracle
from schema.errors import ADMINS_ONLY_MEMBERS, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one, value
from services import members as service

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.members.types import Invitation
    from schema.users.types import User

C = TypeVar("C", bound=Command)
_ERRORS = "Why nothing was written, if so."
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
    name: str | None = strawberry.field(default=strawberry.UNSET, description="A new name.")
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new email, unique in the organisation."
    )
    role: MemberRole | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new role; the organisation's last active admin keeps ADMIN (LAST_ADMIN).",
    )
    version: int | None = strawberry.field(default=strawberry.UNSET, description=_VERSION)


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


@strawberry.type(description="The result of inviteMember.")
class InviteMemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The invited person, INVITED.")
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The pending invitation."
    )
    invitation_token: str | None = value(
        "invitationToken",
        "The invitation's token, shown only now, for setups that accept with it"
        " (`X-Invitation-Token`); okrql keeps only its hash.",
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of resendInvitation.")
class ResendInvitationPayload:
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The invitation, with its new expiry."
    )
    invitation_token: str | None = value(
        "invitationToken", "The new token, shown only now; the previous one no longer works."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of revokeInvitation.")
class RevokeInvitationPayload:
    invitation: _LazyInvitation | None = to_one(
        "invitation", "invitation_id", "The invitation, REVOKED."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of updateMember, deactivateMember or reactivateMember.")
class MemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The member as changed.")
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


@strawberry.type(description="The result of deactivateMember.")
class DeactivateMemberPayload:
    member: _LazyUser | None = to_one("user", "user_id", "The member, DEACTIVATED.")
    transferred_objectives: int = value(
        "transferredObjectives", "How many objectives moved to the new owner."
    )
    transferred_key_results: int = value(
        "transferredKeyResults", "How many key results moved to the new owner."
    )
    user_errors: list[UserError] = embedded("userErrors", _ERRORS)


# The global id types of the id fields member inputs carry.
_ID_TYPES = {"id": "User", "transferOwnershipTo": "User"}
_INVITATION_ID_TYPES = {"id": "Invitation"}


def _command(model: type[C], raw: dict[str, Any], id_types: dict[str, str] = _ID_TYPES) -> C:
    data = {k: v for k, v in dict(raw).items() if v is not None or k in ("name", "email", "role")}
    problems: list[Problem] = []
    for name, type_name in id_types.items():
        if name in data:
            data[name] = input_id(data, name, type_name, problems)
    if "teamIds" in data:
        data["teamIds"] = tuple(
            input_id({"teamIds": raw_id}, "teamIds", "Team", problems) for raw_id in data["teamIds"]
        )
    raise_problems(problems)
    return parse(model, data)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _run(
    refused: dict[str, Any], work: Callable[[], Awaitable[dict[str, Any]]]
) -> dict[str, Any]:
    try:
        return await work() | {"userErrors": []}
    except DomainError as error:
        return refused | {"userErrors": user_errors(error)}


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_invite_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(InviteMember, args["input"])
        invited = await service.invite_member(ctx.conn, ctx.identity, command, _now())
        return {
            "user_id": invited.user_id,
            "invitation_id": invited.invitation_id,
            "invitationToken": invited.token,
        }

    return await _run({"user_id": None, "invitation_id": None, "invitationToken": None}, work)


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_resend_invitation(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(ResendInvitation, args["input"], _INVITATION_ID_TYPES)
        invitation_id, token = await service.resend_invitation(
            ctx.conn, ctx.identity, command, _now()
        )
        return {"invitation_id": invitation_id, "invitationToken": token}

    return await _run({"invitation_id": None, "invitationToken": None}, work)


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_revoke_invitation(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(RevokeInvitation, args["input"], _INVITATION_ID_TYPES)
        invitation_id = await service.revoke_invitation(ctx.conn, ctx.identity, command, _now())
        return {"invitation_id": invitation_id}

    return await _run({"invitation_id": None}, work)


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_update_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(UpdateMember, args["input"])
        return {"user_id": await service.update_member(ctx.conn, ctx.identity, command)}

    return await _run({"user_id": None}, work)


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_deactivate_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(DeactivateMember, args["input"])
        done = await service.deactivate_member(ctx.conn, ctx.identity, command)
        return {
            "user_id": done.user_id,
            "transferredObjectives": done.transferred_objectives,
            "transferredKeyResults": done.transferred_key_results,
        }

    refused = {"user_id": None, "transferredObjectives": 0, "transferredKeyResults": 0}
    return await _run(refused, work)


@authorized(may_manage_members, ADMINS_ONLY_MEMBERS)
async def run_reactivate_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    async def work() -> dict[str, Any]:
        command = _command(ReactivateMember, args["input"])
        return {"user_id": await service.reactivate_member(ctx.conn, ctx.identity, command)}

    return await _run({"user_id": None}, work)


@strawberry.type
class MemberMutations:
    @strawberry.mutation(
        description="Invite a person by email (admins only): they show as an INVITED member at"
        " once and join with the role and teams given on their first sign-in.",
        metadata=mapped(Mutation(run_invite_member)),
    )
    async def invite_member(
        self, info: strawberry.Info, input: InviteMemberInput
    ) -> InviteMemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Send an invitation again with a new token and expiry (admins only).",
        metadata=mapped(Mutation(run_resend_invitation)),
    )
    async def resend_invitation(
        self, info: strawberry.Info, input: ResendInvitationInput
    ) -> ResendInvitationPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Revoke an invitation (admins only): its token stops working and the"
        " invitee leaves the organisation.",
        metadata=mapped(Mutation(run_revoke_invitation)),
    )
    async def revoke_invitation(
        self, info: strawberry.Info, input: RevokeInvitationInput
    ) -> RevokeInvitationPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change a member's name, email or role (admins only).",
        metadata=mapped(Mutation(run_update_member)),
    )
    async def update_member(self, info: strawberry.Info, input: UpdateMemberInput) -> MemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Deactivate a member (admins only): they cannot sign in, and their tokens"
        " stop working with the next request; what they wrote stays, and what they own stays"
        " theirs unless transferred.",
        metadata=mapped(Mutation(run_deactivate_member)),
    )
    async def deactivate_member(
        self, info: strawberry.Info, input: DeactivateMemberInput
    ) -> DeactivateMemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Let a deactivated member sign in again, with their role (admins only).",
        metadata=mapped(Mutation(run_reactivate_member)),
    )
    async def reactivate_member(
        self, info: strawberry.Info, input: ReactivateMemberInput
    ) -> MemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
