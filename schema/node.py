"""Relay Global Object Identification: the Node interface."""

from __future__ import annotations

from typing import Any

import strawberry

from schema import oracle


@strawberry.interface(description="An object with a global id (Relay Node).")
class Node:
    id: strawberry.ID = strawberry.field(description="The object's opaque global id.")

    @classmethod
    def resolve_type(cls, obj: Any, *_: Any) -> str | None:
        return oracle.resolve_node_type(obj)

    @classmethod
    def is_type_of(cls, obj: Any, *_: Any) -> bool:
        # The standard executor's values are database rows tagged with their type.
        return oracle.resolve_node_type(obj) == cls.__name__
