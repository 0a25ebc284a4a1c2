"""What every SCIM resource endpoint shares: reading the body and the query, If-Match, meta,
list responses."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import orjson
from starlette.requests import Request

from domain.scim.documents import check_text
from domain.scim.errors import ScimError, invalid_syntax, invalid_value
from domain.scim.filters import Filter, parse_filter
from domain.scim.projection import project
from domain.scim.schemas import LIST_RESPONSE

# Page sizes: RFC 7644 lets the service provider choose both (ServiceProviderConfig says so).
DEFAULT_COUNT = 100
MAX_COUNT = 200
_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


def base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/scim/v2"


async def read_body(request: Request) -> Any:
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ScimError(413, f"The request body is larger than {limit} bytes.")
    body = await request.body()
    if len(body) > limit:
        raise ScimError(413, f"The request body is larger than {limit} bytes.")
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise invalid_syntax("The request body is not valid JSON.") from None
    check_text(document)
    return document


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_body(request)
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a JSON object.")
    return body


def expected_version(request: Request) -> int | None:
    """The version If-Match names; None without one (or `*`); -1 for an ETag okrql never gave
    out, which no version matches."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    match = _ETAG.match(header)
    return int(match.group(1)) if match else -1


def etag(version: int) -> str:
    return f'W/"{version:d}"'


def meta(
    resource_type: str,
    location: str,
    created: dt.datetime,
    modified: dt.datetime,
    version: int,
) -> dict[str, Any]:
    return {
        "resourceType": resource_type,
        "created": created.isoformat(),
        "lastModified": modified.isoformat(),
        "location": location,
        "version": etag(version),
    }


class ListQuery:
    """A list request's filter, page and attributes, from the URL or a /.search body."""

    def __init__(self, params: dict[str, Any]) -> None:
        text = params.get("filter")
        if text is not None and not isinstance(text, str):
            raise invalid_value("`filter` must be a string.")
        self.filter: Filter | None = parse_filter(text) if text is not None else None
        start = _integer(params.get("startIndex"), "startIndex", 1)
        self.start_index = max(start, 1)
        self.count = min(max(_integer(params.get("count"), "count", DEFAULT_COUNT), 0), MAX_COUNT)
        self.attributes = params.get("attributes")
        self.excluded = params.get("excludedAttributes")

    @property
    def offset(self) -> int:
        return self.start_index - 1

    def listed(self, total: int, resources: list[dict[str, Any]], schema_id: str) -> dict[str, Any]:
        return {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": self.start_index,
            "itemsPerPage": len(resources),
            "Resources": [self.project(r, schema_id) for r in resources],
        }

    def project(self, resource: dict[str, Any], schema_id: str) -> dict[str, Any]:
        return project(resource, self.attributes, self.excluded, schema_id)


def _integer(value: Any, name: str, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,9}", value.strip()):
        return int(value)
    raise invalid_value(f"`{name}` must be an integer, not {value!r}.")


def query_params(request: Request) -> dict[str, Any]:
    return dict(request.query_params)


def projection_params(request: Request) -> tuple[str | None, str | None]:
    params = request.query_params
    return params.get("attributes"), params.get("excludedAttributes")
