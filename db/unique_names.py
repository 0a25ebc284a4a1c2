"""Names unique in an organisation (cycles, teams): each table's UNIQUE (organization_id, name)
is the last word on a duplicate, also when two requests pass the name check at the same time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg


class NameTakenError(Exception):
    """Another row of the organisation has the name (the unique constraint said so)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


@contextmanager
def unique_name(constraint: str, name: str) -> Iterator[None]:
    """Raise NameTakenError(name) when the statement inside violates `constraint`."""
    try:
        yield
    except asyncpg.UniqueViolationError as error:
        if error.constraint_name == constraint:
            raise NameTakenError(name) from None
        raise
