"""Relay cursor connections, generic over the node type (`ObjectiveConnection`, ...)."""

from __future__ import annotations

from enum import StrEnum
from typing import Generic, TypeVar

import strawberry

from schema.fields import value

NodeType = TypeVar("NodeType")


@strawberry.type(description="Where a page sits in its list (Relay PageInfo).")
class PageInfo:
    has_next_page: bool = value("hasNextPage", "Whether more items follow this page.")
    has_previous_page: bool = value(
        "hasPreviousPage", "Whether items precede this page (true when paging with `after`)."
    )
    start_cursor: str | None = value("startCursor", "The cursor of the first item, if any.")
    end_cursor: str | None = value(
        "endCursor", "The cursor of the last item; pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a list with its cursor.")
class Edge(Generic[NodeType]):
    cursor: str = value("cursor", "An opaque cursor to page from this item.")
    node: NodeType = value("node", "The item.")


@strawberry.type(description="A page of a list (Relay cursor connection).")
class Connection(Generic[NodeType]):
    total_count: int = value("totalCount", "How many items the whole list has.")
    page_info: PageInfo = value("pageInfo", "Where this page sits in the list.")
    edges: list[Edge[NodeType]] = value("edges", "The items of this page with their cursors.")
    nodes: list[NodeType] = value("nodes", "The items of this page.")


@strawberry.enum(description="Sort direction.")
class OrderDirection(StrEnum):
    ASC = "ASC"
    DESC = "DESC"
