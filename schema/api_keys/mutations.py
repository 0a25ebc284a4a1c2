"""API key management, for the organisation's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import strawberry

from domain.api_keys import CreateApiKey, RevokeApiKey
from schema.api_keys.types import ApiKey, ApiKeyScope
from schema.errors import MANAGES_KEYS, UserError
from schema.fields import to_one, value
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.scalars import DateTime
from services.api_keys import create_api_key, revoke_api_key

if TYPE_CHECKING:
    from schema.context import RequestContext


@strawberry.input(description="A new API key for an integration.")
class CreateApiKeyInput:
    name: str = strawberry.field(description="What the key is for; at most 200 characters.")
    scopes: list[ApiKeyScope] = strawberry.field(description="What the key may do; at least one.")
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Teams the key is limited to; none: every team."
    )
    expires_at: DateTime | None = strawberry.field(
        default=None, description="When the key stops working; null: never."
    )


@strawberry.input(description="An API key to revoke.")
class RevokeApiKeyInput:
    id: strawberry.ID = strawberry.field(description="The key to revoke.")


class CreatedApiKeyResult(TypedDict):
    api_key_id: int
    secret: str


class ApiKeyResult(TypedDict):
    api_key_id: int


@strawberry.type(description="The result of createApiKey.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = to_one("api_key", "api_key_id", "The new key.")
    secret: str | None = value(
        "secret", "The key itself, shown only now: okrql keeps only its hash."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of revokeApiKey.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = to_one("api_key", "api_key_id", "The key, revoked.")
    user_errors: list[UserError] = user_errors_field()


async def _create(ctx: RequestContext, command: CreateApiKey) -> CreatedApiKeyResult:
    issued = await create_api_key(ctx.conn, ctx.identity, command)
    return {"api_key_id": issued.id, "secret": issued.secret}


async def _revoke(ctx: RequestContext, command: RevokeApiKey) -> ApiKeyResult:
    return {"api_key_id": await revoke_api_key(ctx.conn, ctx.identity, command)}


@strawberry.type
class ApiKeyMutations:
    create_api_key = mutation(
        input=CreateApiKeyInput,
        command=CreateApiKey,
        ids={"teamIds": "Team"},
        call=_create,
        payload=CreateApiKeyPayload,
        result=CreatedApiKeyResult,
        permission=MANAGES_KEYS,
        description="Create an API key (admins only); its secret is returned only here.",
    )
    revoke_api_key = mutation(
        input=RevokeApiKeyInput,
        command=RevokeApiKey,
        ids={"id": "ApiKey"},
        call=_revoke,
        payload=RevokeApiKeyPayload,
        result=ApiKeyResult,
        permission=MANAGES_KEYS,
        description="Revoke an API key (admins only); revoking it again changes nothing.",
    )
