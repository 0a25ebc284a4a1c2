"""Teams: departments and their sub-teams, and who belongs to them.

Team names are unique in the organisation; teams nest (Marketing and its Content team), and no
team is its own ancestor. Only members of the organisation can join its teams.
"""

from __future__ import annotations

from collections.abc import Collection

from domain.errors import Problem, UserErrorCode
from domain.hierarchy import becomes_own_ancestor
from domain.updates import Update
from domain.validation import Command, Text, Title


class CreateTeam(Command):
    """A new team, its global ids already resolved to keys."""

    name: Title
    description: Text = None
    parent_team_id: int | None = None


class UpdateTeam(Update):
    """Changes to a team: an explicit null clears the description or detaches the team from its
    parent; the name cannot be cleared."""

    never_cleared = ("name",)

    id: int
    name: Title | None = None
    description: Text = None
    parent_team_id: int | None = None
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
