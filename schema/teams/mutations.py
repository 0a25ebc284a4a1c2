"""Team mutations: teams themselves and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, TypedDict

import strawberry

from domain.teams import CreateTeam, TeamMembership, UpdateTeam
from schema.errors import MANAGES_TEAMS, UserError
from schema.fields import to_one
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.teams.types import Team
from services.teams import add_team_member, create_team, remove_team_member, update_team

if TYPE_CHECKING:
    from schema.context import RequestContext
    from schema.users.types import User


@strawberry.input(description="A new team or department.")
class CreateTeamInput:
    name: str = strawberry.field(
        description="Unique in the organisation; trimmed, at most 200 characters."
    )
    description: str | None = strawberry.field(
        default=None, description="What the team does; at most 10,000 characters."
    )
    parent_team_id: strawberry.ID | None = strawberry.field(
        default=None, description="The team this one is part of, if any."
    )


@strawberry.input(
    description="Changes to a team: fields left out keep their values; the description and"
    " the parent can be cleared (null)."
)
class UpdateTeamInput:
    id: strawberry.ID = strawberry.field(description="The team to change.")
    name: str | None = change("A new name, unique in the organisation.")
    description: str | None = change("A new description, or null for none.")
    parent_team_id: strawberry.ID | None = change(
        "A new parent team (not this team nor one of its sub-teams), or null."
    )
    version: int | None = change(
        "The version the change is based on; refused (STALE_VERSION) if the team changed since."
    )


@strawberry.input(description="A member of the organisation joining a team.")
class AddTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team to join.")
    user_id: strawberry.ID = strawberry.field(description="A member of the organisation.")


@strawberry.input(description="A member leaving a team.")
class RemoveTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team to leave.")
    user_id: strawberry.ID = strawberry.field(description="A member of the team.")


class TeamResult(TypedDict):
    team_id: int


class MembershipResult(TypedDict):
    team_id: int
    user_id: int


@strawberry.type(description="The result of createTeam.")
class CreateTeamPayload:
    team: Team | None = to_one("team", "team_id", "The new team.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateTeam.")
class UpdateTeamPayload:
    team: Team | None = to_one("team", "team_id", "The team as changed.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of addTeamMember.")
class AddTeamMemberPayload:
    team: Team | None = to_one("team", "team_id", "The team, with its new member.")
    user: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The member who joined."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of removeTeamMember.")
class RemoveTeamMemberPayload:
    team: Team | None = to_one("team", "team_id", "The team, without the member.")
    user: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The member who left."
    )
    user_errors: list[UserError] = user_errors_field()


async def _create(ctx: RequestContext, command: CreateTeam) -> TeamResult:
    return {"team_id": await create_team(ctx.conn, ctx.identity, command)}


async def _update(ctx: RequestContext, command: UpdateTeam) -> TeamResult:
    return {"team_id": await update_team(ctx.conn, ctx.identity, command)}


async def _add_member(ctx: RequestContext, command: TeamMembership) -> MembershipResult:
    added = await add_team_member(ctx.conn, ctx.identity, command)
    return {"team_id": added.team_id, "user_id": added.user_id}


async def _remove_member(ctx: RequestContext, command: TeamMembership) -> MembershipResult:
    removed = await remove_team_member(ctx.conn, ctx.identity, command)
    return {"team_id": removed.team_id, "user_id": removed.user_id}


_MEMBERSHIP_IDS = {"teamId": "Team", "userId": "User"}


@strawberry.type
class TeamMutations:
    create_team = mutation(
        input=CreateTeamInput,
        command=CreateTeam,
        ids={"parentTeamId": "Team"},
        call=_create,
        payload=CreateTeamPayload,
        result=TeamResult,
        permission=MANAGES_TEAMS,
        description="Create a team, optionally inside a parent team.",
    )
    update_team = mutation(
        input=UpdateTeamInput,
        command=UpdateTeam,
        ids={"id": "Team", "parentTeamId": "Team"},
        call=_update,
        payload=UpdateTeamPayload,
        result=TeamResult,
        permission=MANAGES_TEAMS,
        description="Rename a team, change its description or its parent; only the fields given"
        " change.",
    )
    add_team_member = mutation(
        input=AddTeamMemberInput,
        command=TeamMembership,
        ids=_MEMBERSHIP_IDS,
        call=_add_member,
        payload=AddTeamMemberPayload,
        result=MembershipResult,
        permission=MANAGES_TEAMS,
        description="Add a member of the organisation to a team; adding a member again changes"
        " nothing.",
    )
    remove_team_member = mutation(
        input=RemoveTeamMemberInput,
        command=TeamMembership,
        ids=_MEMBERSHIP_IDS,
        call=_remove_member,
        payload=RemoveTeamMemberPayload,
        result=MembershipResult,
        permission=MANAGES_TEAMS,
        description="Take a member off a team.",
    )
