"""The endpoints of one SCIM resource type: list and .search, create, get, replace, patch and
delete. Users and Groups answer alike; a ResourceKind says what differs between them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

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
from domain.scim.filters import Filter
from domain.scim.projection import project
from services.identity import Identity


class Versioned(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def created_at(self) -> dt.datetime: ...

    @property
    def updated_at(self) -> dt.datetime: ...


R = TypeVar("R", bound=Versioned)


@dataclass(frozen=True, slots=True)
class ResourceKind(Generic[R]):
    """One SCIM resource type: its names, how a row becomes its document, and the service
    use cases behind its endpoints."""

    resource_type: str  # meta.resourceType: "User"
    endpoint: str  # the path under /scim/v2: "Users"
    id_type: str  # the GraphQL type its ids are the ids of
    schema: str
    not_found: str
    id_of: Callable[[R], int]
    # The document's attributes besides schemas, id and meta; `base` is the SCIM base URL.
    attributes: Callable[[R, str], dict[str, Any]]
    list: Callable[[Connection, Identity, Filter | None, int, int], Awaitable[tuple[int, list[R]]]]
    get: Callable[[Connection, Identity, int], Awaitable[R]]
    create: Callable[[Connection, Identity, dict[str, Any]], Awaitable[R]]
    replace: Callable[[Connection, Identity, int, dict[str, Any], int | None], Awaitable[R]]
    patch: Callable[[Connection, Identity, int, Any, int | None], Awaitable[R]]
    delete: Callable[[Connection, Identity, int, int | None], Awaitable[None]]


class ResourceEndpoints(Generic[R]):
    """The request handlers of one resource type, each `(request, identity, conn)`."""

    def __init__(self, kind: ResourceKind[R]) -> None:
        self.kind = kind

    def resource(self, row: R, base: str) -> dict[str, Any]:
        kind = self.kind
        resource_id = encode_id(kind.id_type, kind.id_of(row))
        return {
            "schemas": [kind.schema],
            "id": resource_id,
            **kind.attributes(row, base),
            "meta": meta(
                kind.resource_type,
                f"{base}/{kind.endpoint}/{resource_id}",
                row.created_at,
                row.updated_at,
                row.version,
            ),
        }

    def _id(self, request: Request) -> int:
        try:
            return decode_id_of(request.path_params["id"], self.kind.id_type)
        except MalformedIdError:
            # Exactly as for an id that names nothing here.
            raise not_found(self.kind.not_found) from None

    def _one(self, request: Request, row: R, status: int = 200) -> Response:
        resource = self.resource(row, base_url(request))
        attributes, excluded = projection_params(request)
        headers = {"etag": etag(row.version)}
        if status == 201:
            headers["location"] = resource["meta"]["location"]
        return scim_json(project(resource, attributes, excluded, self.kind.schema), status, headers)

    async def _list(
        self, request: Request, identity: Identity, conn: Connection, params: dict[str, Any]
    ) -> Response:
        listing = ListQuery(params)
        total, rows = await self.kind.list(
            conn, identity, listing.filter, listing.offset, listing.count
        )
        base = base_url(request)
        resources = [self.resource(row, base) for row in rows]
        return scim_json(listing.listed(total, resources, self.kind.schema))

    async def list(self, request: Request, identity: Identity, conn: Connection) -> Response:
        return await self._list(request, identity, conn, query_params(request))

    async def search(self, request: Request, identity: Identity, conn: Connection) -> Response:
        return await self._list(request, identity, conn, await read_object(request))

    async def create(self, request: Request, identity: Identity, conn: Connection) -> Response:
        body = await read_object(request)
        return self._one(request, await self.kind.create(conn, identity, body), 201)

    async def get(self, request: Request, identity: Identity, conn: Connection) -> Response:
        return self._one(request, await self.kind.get(conn, identity, self._id(request)))

    async def replace(self, request: Request, identity: Identity, conn: Connection) -> Response:
        resource_id = self._id(request)
        body = await read_object(request)
        version = expected_version(request)
        return self._one(
            request, await self.kind.replace(conn, identity, resource_id, body, version)
        )

    async def patch(self, request: Request, identity: Identity, conn: Connection) -> Response:
        resource_id = self._id(request)
        body = await read_body(request)
        version = expected_version(request)
        return self._one(request, await self.kind.patch(conn, identity, resource_id, body, version))

    async def delete(self, request: Request, identity: Identity, conn: Connection) -> Response:
        await self.kind.delete(conn, identity, self._id(request), expected_version(request))
        return Response(status_code=204)
