"""Named SQL queries, kept as readable text in db/sql/*.sql and parsed once.

A file holds blocks that start with `-- name: <query_name>`; the comment lines right after the
name describe the query. Callers refer to queries by file and name, never by building SQL text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

_SQL_DIR = Path(__file__).parent / "sql"
_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


@functools.cache
def queries(file: str) -> dict[str, str]:
    """All queries of db/sql/<file>.sql by name."""
    text = (_SQL_DIR / f"{file}.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    named: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in named:
            raise ValueError(f"query {name!r} defined twice in {file}.sql")
        named[name] = body.strip()
    return named


def query(file: str, name: str) -> str:
    return queries(file)[name]
