"""/scim/v2/Users: SCIM users are the organisation's members; their id is the GraphQL id."""

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
from domain.scim.projection import project
from domain.scim.schemas import USER_SCHEMA
from domain.scim.users import ScimMember, user_document
from services import scim_users
from services.identity import Identity


def user_resource(member: ScimMember, base: str) -> dict[str, Any]:
    user_id = encode_id("User", member.user_id)
    return {
        "schemas": [USER_SCHEMA],
        "id": user_id,
        **user_document(member),
        "meta": meta(
            "User",
            f"{base}/Users/{user_id}",
            member.created_at,
            member.updated_at,
            member.version,
        ),
    }


def _user_id(request: Request) -> int:
    try:
        return decode_id_of(request.path_params["id"], "User")
    except MalformedIdError:
        # Exactly as for an id that names nobody here.
        raise not_found("No such user in this organisation.") from None


def _one(request: Request, member: ScimMember, status: int = 200) -> Response:
    resource = user_resource(member, base_url(request))
    attributes, excluded = projection_params(request)
    headers = {"etag": etag(member.version)}
    if status == 201:
        headers["location"] = resource["meta"]["location"]
    return scim_json(project(resource, attributes, excluded, USER_SCHEMA), status, headers)


async def _list(request: Request, identity: Identity, conn: Connection, params: Any) -> Response:
    listing = ListQuery(params)
    total, members = await scim_users.list_users(
        conn, identity, listing.filter, listing.offset, listing.count
    )
    base = base_url(request)
    resources = [user_resource(m, base) for m in members]
    return scim_json(listing.listed(total, resources, USER_SCHEMA))


async def list_users(request: Request, identity: Identity, conn: Connection) -> Response:
    return await _list(request, identity, conn, query_params(request))


async def search_users(request: Request, identity: Identity, conn: Connection) -> Response:
    return await _list(request, identity, conn, await read_object(request))


async def create_user(request: Request, identity: Identity, conn: Connection) -> Response:
    body = await read_object(request)
    return _one(request, await scim_users.provision_user(conn, identity, body), 201)


async def get_user(request: Request, identity: Identity, conn: Connection) -> Response:
    return _one(request, await scim_users.get_user(conn, identity, _user_id(request)))


async def replace_user(request: Request, identity: Identity, conn: Connection) -> Response:
    user_id = _user_id(request)
    body = await read_object(request)
    member = await scim_users.replace_user(conn, identity, user_id, body, expected_version(request))
    return _one(request, member)


async def patch_user(request: Request, identity: Identity, conn: Connection) -> Response:
    user_id = _user_id(request)
    body = await read_body(request)
    member = await scim_users.patch_user(conn, identity, user_id, body, expected_version(request))
    return _one(request, member)


async def delete_user(request: Request, identity: Identity, conn: Connection) -> Response:
    await scim_users.deprovision_user(conn, identity, _user_id(request), expected_version(request))
    return Response(status_code=204)
