"""API keys: how integrations authenticate, owned by the organisation."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import strawberry

from db.ids import encode_id
from db.planner.mapping import ReadContext, Row
from schema.fields import column, derived, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime

if TYPE_CHECKING:
    from schema.users.types import User


@strawberry.enum(description="What an API key may do.")
class ApiKeyScope(StrEnum):
    READ = "READ"
    WRITE = "WRITE"
    CHECKINS_WRITE = "CHECKINS_WRITE"
    SCIM = "SCIM"


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


def _token_id(row: Row, ctx: ReadContext) -> str:
    return encode_id("PersonalAccessToken", row["id"])


@strawberry.type(
    description="A member's own token for scripts (`Authorization: Bearer okrql_…`): it acts as"
    " them, within its scopes, while they are an active member; its secret is shown only once."
)
class PersonalAccessToken:
    id: strawberry.ID = derived(
        _token_id, ("id",), "The token's opaque id (to revoke it; not a Node)."
    )
    name: str = column("name", "What the token is for, e.g. the script's name.")
    prefix: str = column("prefix", "The token's first characters, to tell tokens apart.")
    scopes: list[ApiKeyScope] = column("scopes", "What the token may do of what its person may.")
    owner: Annotated[User, strawberry.lazy("schema.users.types")] | None = to_one(
        "user", "user_id", "The member the token acts as."
    )
    created_at: DateTime = column("created_at", "When the token was created.")
    expires_at: DateTime | None = column(
        "expires_at", "When the token stops working; null if it does not expire."
    )
    revoked_at: DateTime | None = column(
        "revoked_at", "When the token was revoked; null while it is not."
    )
    last_used_at: DateTime | None = column(
        "last_used_at", "When the token was last used (to the minute); null if never."
    )
