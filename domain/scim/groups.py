"""SCIM Groups as okrql teams: a team's document, and what a provisioned document means.

displayName is the team's name (unique in the organisation), externalId the identity
provider's id of the group, and members the team's members: users of the organisation, by
their id (groups do not nest).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from domain.scim.documents import text_value
from domain.scim.errors import invalid_value
from domain.scim.users import EXTERNAL_ID_MAX
from domain.validation import TITLE_MAX


@dataclass(frozen=True, slots=True)
class ScimTeam:
    """A team as SCIM reads it; `member_ids` are user ids."""

    team_id: int
    name: str
    external_id: str | None
    member_ids: tuple[int, ...]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class GroupProfile:
    """What a Group document asks okrql to keep; members as the ids the client sent."""

    name: str
    external_id: str | None
    member_ids: tuple[str, ...]


def group_document(team: ScimTeam, member_ids: list[str], base: str) -> dict[str, Any]:
    """The team's attributes; `member_ids` are the members' SCIM ids, `base` the SCIM base URL
    their `$ref` starts with."""
    document: dict[str, Any] = {"displayName": team.name}
    if team.external_id is not None:
        document["externalId"] = team.external_id
    if member_ids:
        document["members"] = [
            {"value": i, "$ref": f"{base}/Users/{i}", "type": "User"} for i in member_ids
        ]
    return document


def group_profile(document: dict[str, Any]) -> GroupProfile:
    name = text_value(document.get("displayName"), "displayName", TITLE_MAX)
    external_id = document.get("externalId")
    if external_id is not None:
        external_id = text_value(external_id, "externalId", EXTERNAL_ID_MAX)
    members: list[str] = []
    for member in document.get("members", []):
        value = member.get("value")
        if not isinstance(value, str) or not value:
            raise invalid_value("Every value of members needs the member's id as `value`.")
        if str(member.get("type", "User")).lower() != "user":
            raise invalid_value("Groups in okrql hold users only: groups do not nest.")
        if value not in members:
            members.append(value)
    return GroupProfile(name, external_id, tuple(members))
