"""The /scim/v2 routes: each request authenticated by its SCIM key, answered in
application/scim+json, its errors as SCIM error bodies."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from api.outages import OutageLog
from api.scim import discovery, groups, users
from api.scim.auth import scim_identity
from api.scim.endpoints import ResourceEndpoints
from api.scim.errors import error_response, from_domain, from_forbidden, from_scim, from_unexpected
from db.progress import Connection
from domain.errors import DomainError
from domain.permissions import ForbiddenError
from domain.scim.errors import ScimError
from services.identity import Identity

Handler = Callable[[Request, Identity, Connection], Awaitable[Response]]


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def run(request: Request) -> Response:
        try:
            identity = await scim_identity(request)
            async with request.app.state.pool.acquire() as conn:
                response = await handler(request, identity, conn)
            outages: OutageLog = request.app.state.outages
            if outages.active:
                outages.served()
            return response
        except ScimError as error:
            response = from_scim(error)
            if error.status == 401:
                response.headers["www-authenticate"] = 'Bearer realm="okrql"'
            return response
        except DomainError as error:
            return from_domain(error)
        except ForbiddenError as error:
            return from_forbidden(error)
        except Exception as error:
            return from_unexpected(error, request.app.state.outages)

    return run


async def _not_found(request: Request) -> Response:
    return error_response(404, f"No SCIM endpoint {request.url.path!r}.")


async def _method_not_allowed(request: Request) -> Response:
    return error_response(405, f"{request.method} is not supported on {request.url.path}.")


async def _root_search(request: Request) -> Response:
    return error_response(
        501, "Search each resource type on its own: POST /Users/.search or /Groups/.search."
    )


_ANY = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _resource(path: str, methods: dict[str, Handler]) -> list[Route]:
    """The route of `path` for its methods, and a 405 for the others."""
    others = [m for m in _ANY if m not in methods]
    routes = [Route(path, _endpoint(h), methods=[m]) for m, h in methods.items()]
    if others:
        routes.append(Route(path, _method_not_allowed, methods=others))
    return routes


def _resource_type(endpoints: ResourceEndpoints[Any]) -> list[Route]:
    path = "/" + endpoints.kind.endpoint
    return [
        *_resource(path, {"GET": endpoints.list, "POST": endpoints.create}),
        *_resource(path + "/.search", {"POST": endpoints.search}),
        *_resource(
            path + "/{id}",
            {
                "GET": endpoints.get,
                "PUT": endpoints.replace,
                "PATCH": endpoints.patch,
                "DELETE": endpoints.delete,
            },
        ),
    ]


routes: list[BaseRoute] = [
    Mount(
        "/scim/v2",
        routes=[
            *_resource("/ServiceProviderConfig", {"GET": discovery.get_service_provider_config}),
            *_resource("/ResourceTypes", {"GET": discovery.list_resource_types}),
            *_resource("/ResourceTypes/{id}", {"GET": discovery.get_resource_type}),
            *_resource("/Schemas", {"GET": discovery.list_schemas}),
            *_resource("/Schemas/{id:path}", {"GET": discovery.get_schema}),
            *_resource_type(users.endpoints),
            *_resource_type(groups.endpoints),
            Route("/.search", _root_search, methods=["POST"]),
            Route("/{rest:path}", _not_found, methods=_ANY),
        ],
    )
]
