"""Discovery (RFC 7644 §4): /ServiceProviderConfig, /ResourceTypes and /Schemas, which tell a
client what okrql supports (and the conformance client what to test)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from api.scim.errors import scim_json
from api.scim.resources import MAX_COUNT, base_url
from db.progress import Connection
from domain.scim.errors import not_found
from domain.scim.schemas import (
    GROUP,
    LIST_RESPONSE,
    RESOURCE_TYPE_SCHEMA,
    SCHEMA_SCHEMA,
    SERVICE_PROVIDER_CONFIG_SCHEMA,
    USER,
    Attribute,
    ResourceSchema,
    schema_document,
)
from services.identity import Identity

_S = "string"
_READ = "readOnly"


def _ro(name: str, type: str = _S, **more: Any) -> Attribute:
    return Attribute(name, type=type, mutability=_READ, **more)


def _supported(name: str, *more: Attribute) -> Attribute:
    return _ro(
        name,
        "complex",
        required=True,
        sub_attributes=(_ro("supported", "boolean", required=True), *more),
    )


# RFC 7643 §5-7's own schemas, which /Schemas publishes beside the resources'.
META_SCHEMAS = (
    ResourceSchema(
        SERVICE_PROVIDER_CONFIG_SCHEMA,
        "Service Provider Configuration",
        "Schema for representing the service provider's configuration",
        (
            _ro("documentationUri", "reference", reference_types=("external",)),
            _supported("patch"),
            _supported(
                "bulk",
                _ro("maxOperations", "integer", required=True),
                _ro("maxPayloadSize", "integer", required=True),
            ),
            _supported("filter", _ro("maxResults", "integer", required=True)),
            _supported("changePassword"),
            _supported("sort"),
            _supported("etag"),
            _ro(
                "authenticationSchemes",
                "complex",
                multi_valued=True,
                required=True,
                sub_attributes=(
                    _ro("type", required=True),
                    _ro("name", required=True),
                    _ro("description", required=True),
                    _ro("primary", "boolean"),
                ),
            ),
        ),
    ),
    ResourceSchema(
        RESOURCE_TYPE_SCHEMA,
        "ResourceType",
        "Specifies the schema that describes a SCIM resource type",
        (
            _ro("id"),
            _ro("name", required=True),
            _ro("description"),
            _ro("endpoint", "reference", required=True, reference_types=("uri",)),
            _ro("schema", "reference", required=True, reference_types=("uri",), case_exact=True),
        ),
    ),
    ResourceSchema(
        SCHEMA_SCHEMA,
        "Schema",
        "Specifies the schema attribute definitions",
        (
            _ro("id", required=True),
            _ro("name"),
            _ro("description"),
            _ro(
                "attributes",
                "complex",
                multi_valued=True,
                required=True,
                sub_attributes=(
                    _ro("name", required=True),
                    _ro("type", required=True),
                    _ro("multiValued", "boolean", required=True),
                    _ro("description"),
                    _ro("required", "boolean"),
                    _ro("caseExact", "boolean"),
                    _ro("mutability"),
                    _ro("returned"),
                    _ro("uniqueness"),
                ),
            ),
        ),
    ),
)
RESOURCE_TYPES = (
    (USER, "/Users", "The organisation's members"),
    (GROUP, "/Groups", "The organisation's teams"),
)


def service_provider_config(base: str) -> dict[str, Any]:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG_SCHEMA],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_COUNT},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "API key",
                "description": "An okrql API key with the scim scope, sent as"
                " `Authorization: Bearer okrql_…`.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": f"{base}/ServiceProviderConfig",
        },
    }


def _resource_type(schema: ResourceSchema, endpoint: str, description: str, base: str) -> Any:
    return {
        "schemas": [RESOURCE_TYPE_SCHEMA],
        "id": schema.name,
        "name": schema.name,
        "endpoint": endpoint,
        "description": description,
        "schema": schema.id,
        "meta": {"resourceType": "ResourceType", "location": f"{base}/ResourceTypes/{schema.name}"},
    }


def _schema(schema: ResourceSchema, base: str) -> dict[str, Any]:
    return schema_document(schema) | {
        "meta": {"resourceType": "Schema", "location": f"{base}/Schemas/{schema.id}"}
    }


def _listed(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(resources),
        "startIndex": 1,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }


async def get_service_provider_config(
    request: Request, identity: Identity, conn: Connection
) -> Response:
    return scim_json(service_provider_config(base_url(request)))


async def list_resource_types(request: Request, identity: Identity, conn: Connection) -> Response:
    base = base_url(request)
    return scim_json(_listed([_resource_type(*r, base) for r in RESOURCE_TYPES]))


async def get_resource_type(request: Request, identity: Identity, conn: Connection) -> Response:
    wanted = request.path_params["id"]
    for resource_type in RESOURCE_TYPES:
        if resource_type[0].name == wanted:
            return scim_json(_resource_type(*resource_type, base_url(request)))
    raise not_found(f"No resource type {wanted!r}: okrql serves User and Group.")


async def list_schemas(request: Request, identity: Identity, conn: Connection) -> Response:
    base = base_url(request)
    return scim_json(_listed([_schema(s, base) for s in (USER, GROUP, *META_SCHEMAS)]))


async def get_schema(request: Request, identity: Identity, conn: Connection) -> Response:
    wanted = request.path_params["id"]
    for schema in (USER, GROUP, *META_SCHEMAS):
        if schema.id == wanted:
            return scim_json(_schema(schema, base_url(request)))
    raise not_found(f"No schema {wanted!r}.")
