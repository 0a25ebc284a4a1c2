"""/scim/v2/Groups: SCIM groups are the organisation's teams; their id is the GraphQL id."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.scim.errors import scim_json
from api.scim.resources import (
    ListQuery,
    base_url,
    etag,
    expected_version,
    meta,
    projection_params,
    query_params,
    read_body,
    read_object,
)
from db.ids import MalformedIdError, decode_id_of, encode_id
from db.progress import Connection
from domain.scim.errors import not_found
from domain.scim.groups import ScimTeam, group_document
from domain.scim.projection import project
from domain.scim.schemas import GROUP_SCHEMA
from services import scim_groups
from services.identity import Identity


def group_resource(team: ScimTeam, base: str) -> dict[str, Any]:
    team_id = encode_id("Team", team.team_id)
    members = [encode_id("User", i) for i in team.member_ids]
    return {
        "schemas": [GROUP_SCHEMA],
        "id": team_id,
        **group_document(team, members, base),
        "meta": meta(
            "Group", f"{base}/Groups/{team_id}", team.created_at, team.updated_at, team.version
        ),
    }


def _team_id(request: Request) -> int:
    try:
        return decode_id_of(request.path_params["id"], "Team")
    except MalformedIdError:
        raise not_found("No such group in this organisation.") from None


def _one(request: Request, team: ScimTeam, status: int = 200) -> Response:
    resource = group_resource(team, base_url(request))
    attributes, excluded = projection_params(request)
    headers = {"etag": etag(team.version)}
    if status == 201:
        headers["location"] = resource["meta"]["location"]
    return scim_json(project(resource, attributes, excluded, GROUP_SCHEMA), status, headers)


async def _list(request: Request, identity: Identity, conn: Connection, params: Any) -> Response:
    listing = ListQuery(params)
    total, teams = await scim_groups.list_groups(
        conn, identity, listing.filter, listing.offset, listing.count
    )
    base = base_url(request)
    resources = [group_resource(t, base) for t in teams]
    return scim_json(listing.listed(total, resources, GROUP_SCHEMA))


async def list_groups(request: Request, identity: Identity, conn: Connection) -> Response:
    return await _list(request, identity, conn, query_params(request))


async def search_groups(request: Request, identity: Identity, conn: Connection) -> Response:
    return await _list(request, identity, conn, await read_object(request))


async def create_group(request: Request, identity: Identity, conn: Connection) -> Response:
    body = await read_object(request)
    return _one(request, await scim_groups.create_group(conn, identity, body), 201)


async def get_group(request: Request, identity: Identity, conn: Connection) -> Response:
    return _one(request, await scim_groups.get_group(conn, identity, _team_id(request)))


async def replace_group(request: Request, identity: Identity, conn: Connection) -> Response:
    team_id = _team_id(request)
    body = await read_object(request)
    team = await scim_groups.replace_group(conn, identity, team_id, body, expected_version(request))
    return _one(request, team)


async def patch_group(request: Request, identity: Identity, conn: Connection) -> Response:
    team_id = _team_id(request)
    body = await read_body(request)
    team = await scim_groups.patch_group(conn, identity, team_id, body, expected_version(request))
    return _one(request, team)


async def delete_group(request: Request, identity: Identity, conn: Connection) -> Response:
    await scim_groups.delete_group(conn, identity, _team_id(request), expected_version(request))
    return Response(status_code=204)
