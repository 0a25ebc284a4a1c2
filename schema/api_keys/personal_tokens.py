"""Personal access tokens: a member's own tokens for scripts that act as them."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import strawberry

from domain.api_keys import CreatePersonalAccessToken, RevokePersonalAccessToken
from schema.api_keys.types import ApiKeyScope, PersonalAccessToken
from schema.errors import MAKES_TOKENS, REVOKES_TOKENS, UserError
from schema.fields import to_one, value
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.scalars import DateTime
from services.api_keys import create_personal_token, revoke_personal_token

if TYPE_CHECKING:
    from schema.context import RequestContext


@strawberry.input(description="A new personal access token, acting as the caller.")
class CreatePersonalAccessTokenInput:
    name: str = strawberry.field(description="What the token is for; at most 200 characters.")
    scopes: list[ApiKeyScope] = strawberry.field(
        description="What the token may do of what its person may (READ, WRITE,"
        " CHECKINS_WRITE); at least one."
    )
    expires_at: DateTime | None = strawberry.field(
        default=None, description="When the token stops working; null: never."
    )


@strawberry.input(description="A personal access token to revoke.")
class RevokePersonalAccessTokenInput:
    id: strawberry.ID = strawberry.field(
        description="The token: one's own, or (admins) anyone's in the organisation."
    )


class CreatedTokenResult(TypedDict):
    token_id: int
    secret: str


class TokenResult(TypedDict):
    token_id: int


@strawberry.type(description="The result of createPersonalAccessToken.")
class CreatePersonalAccessTokenPayload:
    personal_access_token: PersonalAccessToken | None = to_one(
        "personal_access_token", "token_id", "The new token."
    )
    secret: str | None = value(
        "secret", "The token itself, shown only now: okrql keeps only its hash."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of revokePersonalAccessToken.")
class RevokePersonalAccessTokenPayload:
    personal_access_token: PersonalAccessToken | None = to_one(
        "personal_access_token", "token_id", "The token, revoked."
    )
    user_errors: list[UserError] = user_errors_field()


async def _create(ctx: RequestContext, command: CreatePersonalAccessToken) -> CreatedTokenResult:
    issued = await create_personal_token(ctx.conn, ctx.identity, command)
    return {"token_id": issued.id, "secret": issued.secret}


async def _revoke(ctx: RequestContext, command: RevokePersonalAccessToken) -> TokenResult:
    return {"token_id": await revoke_personal_token(ctx.conn, ctx.identity, command)}


@strawberry.type
class PersonalAccessTokenMutations:
    create_personal_access_token = mutation(
        input=CreatePersonalAccessTokenInput,
        command=CreatePersonalAccessToken,
        ids={},
        call=_create,
        payload=CreatePersonalAccessTokenPayload,
        result=CreatedTokenResult,
        permission=MAKES_TOKENS,
        description="Create a token that acts as you (signed in yourself, not with a token);"
        " its secret is returned only here.",
    )
    revoke_personal_access_token = mutation(
        input=RevokePersonalAccessTokenInput,
        command=RevokePersonalAccessToken,
        ids={"id": "PersonalAccessToken"},
        call=_revoke,
        payload=RevokePersonalAccessTokenPayload,
        result=TokenResult,
        permission=REVOKES_TOKENS,
        description="Revoke a personal access token: your own (a token may revoke itself), or"
        " any member's as an admin; revoking it again changes nothing.",
    )
