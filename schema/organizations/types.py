"""The organisation: the tenant every request acts in."""

from __future__ import annotations

import strawberry

from schema.fields import column, node_id
from schema.node import Node
from schema.scalars import DateTime


@strawberry.type(description="An organisation: the tenant that owns all OKR data.")
class Organization(Node):
    id: strawberry.ID = node_id("Organization")
    name: str = column("name", "The organisation's display name.")
    slug: str = column("slug", "A short, unique, URL-safe name.")
    time_zone: str = column(
        "time_zone", "IANA time zone in which cycle dates are read (e.g. Europe/Stockholm)."
    )
    created_at: DateTime = column("created_at", "When the organisation was created.")
