"""API keys: how integrations authenticate, owned by the organisation."""

from __future__ import annotations

from enum import StrEnum

import strawberry

from schema.fields import column, node_id
from schema.node import Node
from schema.scalars import DateTime


@strawberry.enum(description="What an API key may do.")
class ApiKeyScope(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    CHECKINS_WRITE = "CHECKINS_WRITE"


@strawberry.type(
    description="A key an integration authenticates with (`Authorization: Bearer okrql_…`);"
    " its secret is shown only once, when it is created."
)
class ApiKey(Node):
    id: strawberry.ID = node_id("ApiKey")
    name: str = column("name", "What the key is for, e.g. the integration's name.")
    prefix: str = column("prefix", "The key's first characters, to tell keys apart; not secret.")
    scopes: list[ApiKeyScope] = column("scopes", "What the key may do.")
    created_at: DateTime = column("created_at", "When the key was created.")
    expires_at: DateTime | None = column(
        "expires_at", "When the key stops working; null if it does not expire."
    )
    revoked_at: DateTime | None = column(
        "revoked_at", "When the key was revoked; null while it is not."
    )
    last_used_at: DateTime | None = column(
        "last_used_at", "When the key was last used (to the minute); null if never."
    )
