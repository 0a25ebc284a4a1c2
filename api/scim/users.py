"""/scim/v2/Users: SCIM users are the organisation's members; their id is the GraphQL id."""

from __future__ import annotations

from typing import Any

from api.scim.endpoints import ResourceEndpoints, ResourceKind
from domain.scim.schemas import USER_SCHEMA
from domain.scim.users import ScimMember, user_document
from services import scim_users


def _attributes(member: ScimMember, base: str) -> dict[str, Any]:
    return user_document(member)


endpoints = ResourceEndpoints(
    ResourceKind(
        resource_type="User",
        endpoint="Users",
        id_type="User",
        schema=USER_SCHEMA,
        not_found="No such user in this organisation.",
        id_of=lambda member: member.user_id,
        attributes=_attributes,
        list=scim_users.list_users,
        get=scim_users.get_user,
        create=scim_users.provision_user,
        replace=scim_users.replace_user,
        patch=scim_users.patch_user,
        delete=scim_users.deprovision_user,
    )
)
