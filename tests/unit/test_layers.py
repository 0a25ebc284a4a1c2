"""The layers import downwards only: api (HTTP, auth, transports) -> schema (GraphQL types and
mutations) -> services (use cases, transactions) -> db (SQL, planner) -> domain (pure rules).

Every import counts, also those only for type checking and those inside functions: a layer
that names one above it depends on it. docs/architecture.md describes the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Top to bottom: each layer may import itself and those after it.
LAYERS = ("api", "schema", "services", "db", "domain")
# domain/ is pure: no transport, no database, no GraphQL.
DOMAIN_FORBIDS = {"strawberry", "asyncpg", "sqlalchemy", "starlette", "graphql", "httpx"}
MODULES = sorted(p for layer in LAYERS for p in (ROOT / layer).rglob("*.py"))


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _layer(module: Path) -> str:
    return module.relative_to(ROOT).parts[0]


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_imports_only_its_own_layer_and_those_below(module: Path) -> None:
    layer = _layer(module)
    above = set(LAYERS[: LAYERS.index(layer)])
    imported = imported_roots(module.read_text(encoding="utf-8"))
    assert not imported & above, f"{layer}/ may not import {sorted(imported & above)}"
    if layer == "domain":
        assert not imported & DOMAIN_FORBIDS


def test_the_walk_sees_every_layer() -> None:
    assert {_layer(m) for m in MODULES} == set(LAYERS)


def test_an_upward_import_is_caught() -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from api.settings import X\n"
    assert "api" in imported_roots(source)
