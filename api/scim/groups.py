"""/scim/v2/Groups: SCIM groups are the organisation's teams; their id is the GraphQL id."""

from __future__ import annotations

from typing import Any

from api.scim.endpoints import ResourceEndpoints, ResourceKind
from db.ids import encode_id
from domain.scim.groups import ScimTeam, group_document
from domain.scim.schemas import GROUP_SCHEMA
from services import scim_groups


def _attributes(team: ScimTeam, base: str) -> dict[str, Any]:
    return group_document(team, [encode_id("User", i) for i in team.member_ids], base)


endpoints = ResourceEndpoints(
    ResourceKind(
        resource_type="Group",
        endpoint="Groups",
        id_type="Team",
        schema=GROUP_SCHEMA,
        not_found="No such group in this organisation.",
        id_of=lambda team: team.team_id,
        attributes=_attributes,
        list=scim_groups.list_groups,
        get=scim_groups.get_group,
        create=scim_groups.create_group,
        replace=scim_groups.replace_group,
        patch=scim_groups.patch_group,
        delete=scim_groups.delete_group,
    )
)
