"""A GraphQL client for tests that checks the planner against the standard executor.

Every query a test sends goes through the real endpoint twice: once through the planner (the
production path) and once through strawberry's standard executor (development-only header).
The two answers must match, so every document of the suite is also a differential test of the
planner.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import httpx

EXECUTOR_HEADER = "x-okrql-executor"


def _same(a: Any, b: Any) -> bool:
    # Time-dependent floats (expectedProgress) are computed a few microseconds apart.
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _difference(a: Any, b: Any, path: str = "") -> str:
    """Where the planner's answer first differs from the oracle's."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            if not _same(a[key], b[key]):
                return _difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if not _same(x, y):
                return _difference(x, y, f"{path}[{i}]")
    return f"{path}: planner {str(a)[:500]} != standard executor {str(b)[:500]}"


def error_digest(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What two answers' errors must agree on: message, path, locations and code."""
    return [
        (
            e.get("message"),
            e.get("path"),
            e.get("locations"),
            e.get("extensions", {}).get("code"),
        )
        for e in body.get("errors", [])
    ]


def _nulled_above(data: Any, path: list[Any]) -> bool:
    """Whether a position above the field at `path` is null (or there is no data)."""
    value = data
    for segment in path[:-1]:
        if value is None:
            return True
        value = value[segment]
    return value is None


def assert_same_errors(planner: dict[str, Any], oracle: dict[str, Any]) -> None:
    """The planner reports every error the standard executor does; it may report more only
    inside what an error nulled, where graphql-core leaves out the errors of resolvers that
    finished after the null (db/planner/partial.py)."""
    mine, theirs = Counter(map(repr, error_digest(planner))), error_digest(oracle)
    missing = Counter(map(repr, theirs)) - mine
    assert not missing, (list(missing), str(planner)[:2000], str(oracle)[:2000])
    extra = mine - Counter(map(repr, theirs))
    for error in error_digest(planner):
        if repr(error) in extra:
            assert _nulled_above(oracle.get("data"), error[1] or []), (
                error,
                str(planner)[:2000],
                str(oracle)[:2000],
            )


class GraphQLClient:
    def __init__(self, http: httpx.AsyncClient, organization: str) -> None:
        self.http = http
        self.organization = organization

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, standard: bool = False
    ) -> httpx.Response:
        headers = {
            "accept": "application/graphql-response+json",
            "x-organization": self.organization,
        }
        if standard:
            headers[EXECUTOR_HEADER] = "standard"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def __call__(
        self, query: str, variables: dict[str, Any] | None = None, *, compare: bool = True
    ) -> dict[str, Any]:
        """The response body of a successful request; planner and oracle must agree."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        if compare and not query.lstrip().startswith("mutation"):
            oracle = (await self.post(query, variables, standard=True)).json()
            assert_same_errors(body, oracle)
            assert _same(body.get("data"), oracle.get("data")), _difference(
                body.get("data"), oracle.get("data")
            )
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self(query, variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data
