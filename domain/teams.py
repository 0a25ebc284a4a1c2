"""Teams: departments and their sub-teams, and who belongs to them.

Team names are unique in the organisation; teams nest (Marketing and its Content team), and no
team is its own ancestor. Only members of the organisation can join its teams.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from pydantic import StringConstraints

from domain.errors import Problem, UserErrorCode
from domain.hierarchy import becomes_own_ancestor
from domain.updates import Update
from domain.validation import Command, Text, Title

ExternalId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class CreateTeam(Command):
    """A new team, its global ids already resolved to keys."""

    name: Title
    description: Text = None
    parent_team_id: int | None = None
    # The identity provider's id of the group (SCIM externalId).
    external_id: ExternalId | None = None


class UpdateTeam(Update):
    """Changes to a team: an explicit null clears the description or detaches the team from its
    parent; the name cannot be cleared."""

    never_cleared = ("name",)

    id: int
    name: Title | None = None
    description: Text = None
    parent_team_id: int | None = None
    external_id: ExternalId | None = None
    version: int | None = None


class DeleteTeam(Command):
    id: int
    version: int | None = None


class TeamMembership(Command):
    """A person joining or leaving a team, global ids resolved to keys."""

    team_id: int
    user_id: int


def parent_team_problems(team_id: int, new_parent_chain: Collection[int]) -> list[Problem]:
    """A team never moves under itself or one of its own sub-teams."""
    if not becomes_own_ancestor(team_id, new_parent_chain):
        return []
    return [
        Problem(
            UserErrorCode.INVALID,
            ("input", "parentTeamId"),
            "A team cannot be part of itself or of one of its own sub-teams.",
        )
    ]


def duplicate_team_name(name: str) -> Problem:
    """The problem of a name another team of the organisation already has."""
    return Problem(
        UserErrorCode.DUPLICATE_NAME, ("input", "name"), f"A team named {name!r} already exists."
    )


def duplicate_team_external_id() -> Problem:
    return Problem(
        UserErrorCode.DUPLICATE_EXTERNAL_ID,
        ("input", "externalId"),
        "Another team of the organisation has this external id.",
    )


def team_in_use_problems(objectives: int, sub_teams: int) -> list[Problem]:
    """A team that owns objectives or holds teams is not deleted: what it owns would lose its
    owner. Move them first."""
    held = [
        f"{n} {what}" for n, what in ((objectives, "objective(s)"), (sub_teams, "sub-team(s)")) if n
    ]
    if not held:
        return []
    return [
        Problem(
            UserErrorCode.HAS_CHILDREN,
            ("input", "id"),
            f"The team owns {' and '.join(held)}: give them another owner or parent in okrql"
            " first.",
        )
    ]
