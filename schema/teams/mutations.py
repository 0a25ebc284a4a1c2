"""Team mutations: teams themselves and their members."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from db.planner.mapping import Mutation
from domain.errors import DomainError, Problem, raise_problems
from domain.permissions import may_administer
from domain.teams import CreateTeam, TeamMembership, UpdateTeam
from domain.validation import parse
from schema import oracle
from schema.errors import ADMINS_ONLY_TEAMS, UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one
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
    # UNSET defaults keep these optional without a default in the schema, so a field the
    # client leaves out is absent from the arguments, while an explicit null is present.
    name: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new name, unique in the organisation."
    )
    description: str | None = strawberry.field(
        default=strawberry.UNSET, description="A new description, or null for none."
    )
    parent_team_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new parent team (not this team nor one of its sub-teams), or null.",
    )
    version: int | None = strawberry.field(
        default=strawberry.UNSET,
        description="The version the change is based on; refused (STALE_VERSION) if the team"
        " changed since.",
    )


@strawberry.input(description="A member of the organisation joining a team.")
class AddTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team to join.")
    user_id: strawberry.ID = strawberry.field(description="A member of the organisation.")


@strawberry.input(description="A member leaving a team.")
class RemoveTeamMemberInput:
    team_id: strawberry.ID = strawberry.field(description="The team to leave.")
    user_id: strawberry.ID = strawberry.field(description="A member of the team.")


@strawberry.type(description="The result of createTeam.")
class CreateTeamPayload:
    team: Team | None = to_one("team", "team_id", "The new team.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of updateTeam.")
class UpdateTeamPayload:
    team: Team | None = to_one("team", "team_id", "The team as changed.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of addTeamMember.")
class AddTeamMemberPayload:
    team: Team | None = to_one("team", "team_id", "The team, with its new member.")
    user: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The member who joined."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of removeTeamMember.")
class RemoveTeamMemberPayload:
    team: Team | None = to_one("team", "team_id", "The team, without the member.")
    user: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The member who left."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


def _refused(error: DomainError, *keys: str) -> dict[str, Any]:
    return {**dict.fromkeys(keys), "userErrors": user_errors(error)}


@authorized(may_administer, ADMINS_ONLY_TEAMS)
async def run_create_team(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """createTeam: decode ids, validate, create; broken rules become userErrors."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["parentTeamId"] = input_id(data, "parentTeamId", "Team", problems)
        raise_problems(problems)
        command = parse(CreateTeam, data)
        team_id = await create_team(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return _refused(error, "team_id")
    return {"team_id": team_id, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_TEAMS)
async def run_update_team(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """updateTeam: decode ids, validate, change the fields given; userErrors on broken rules."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        data["id"] = input_id(data, "id", "Team", problems)
        if "parentTeamId" in data:
            data["parentTeamId"] = input_id(data, "parentTeamId", "Team", problems)
        raise_problems(problems)
        command = parse(UpdateTeam, data)
        team_id = await update_team(ctx.conn, ctx.identity, command)
    except DomainError as error:
        return _refused(error, "team_id")
    return {"team_id": team_id, "userErrors": []}


def _membership(args: dict[str, Any]) -> TeamMembership:
    data = dict(args["input"])
    problems: list[Problem] = []
    data["teamId"] = input_id(data, "teamId", "Team", problems)
    data["userId"] = input_id(data, "userId", "User", problems)
    raise_problems(problems)
    return parse(TeamMembership, data)


@authorized(may_administer, ADMINS_ONLY_TEAMS)
async def run_add_team_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """addTeamMember: decode ids, add the member; broken rules become userErrors."""
    try:
        changed = await add_team_member(ctx.conn, ctx.identity, _membership(args))
    except DomainError as error:
        return _refused(error, "team_id", "user_id")
    return {"team_id": changed.team_id, "user_id": changed.user_id, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_TEAMS)
async def run_remove_team_member(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """removeTeamMember: decode ids, remove the member; broken rules become userErrors."""
    try:
        changed = await remove_team_member(ctx.conn, ctx.identity, _membership(args))
    except DomainError as error:
        return _refused(error, "team_id", "user_id")
    return {"team_id": changed.team_id, "user_id": changed.user_id, "userErrors": []}


@strawberry.type
class TeamMutations:
    @strawberry.mutation(
        description="Create a team, optionally inside a parent team.",
        metadata=mapped(Mutation(run_create_team)),
    )
    async def create_team(self, info: strawberry.Info, input: CreateTeamInput) -> CreateTeamPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Rename a team, change its description or its parent; only the fields given"
        " change.",
        metadata=mapped(Mutation(run_update_team)),
    )
    async def update_team(self, info: strawberry.Info, input: UpdateTeamInput) -> UpdateTeamPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Add a member of the organisation to a team; adding a member again changes"
        " nothing.",
        metadata=mapped(Mutation(run_add_team_member)),
    )
    async def add_team_member(
        self, info: strawberry.Info, input: AddTeamMemberInput
    ) -> AddTeamMemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Take a member off a team.",
        metadata=mapped(Mutation(run_remove_team_member)),
    )
    async def remove_team_member(
        self, info: strawberry.Info, input: RemoveTeamMemberInput
    ) -> RemoveTeamMemberPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
