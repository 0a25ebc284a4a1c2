"""domain/ stays pure: no transport, no database, no other layer of this project."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
FORBIDDEN = {"strawberry", "asyncpg", "sqlalchemy", "starlette", "graphql", "api", "schema", "db"}


def imported_roots(source: str) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_no_io_or_transport(module: Path) -> None:
    assert imported_roots(module.read_text(encoding="utf-8")).isdisjoint(FORBIDDEN)
