"""API key management, for the organisation's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from db.planner.mapping import Mutation
from domain.api_keys import ApiKeyInputError
from domain.errors import Problem, UserErrorCode
from domain.permissions import may_administer
from schema import oracle
from schema.api_keys.types import ApiKey, ApiKeyScope
from schema.errors import ADMINS_ONLY_KEYS, UserError, authorized, input_id
from schema.fields import embedded, mapped, to_one, value
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


@strawberry.type(description="The result of createApiKey.")
class CreateApiKeyPayload:
    api_key: ApiKey | None = to_one("api_key", "api_key_id", "The new key.")
    secret: str | None = value(
        "secret", "The key itself, shown only now: okrql keeps only its hash."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of revokeApiKey.")
class RevokeApiKeyPayload:
    api_key: ApiKey | None = to_one("api_key", "api_key_id", "The key, revoked.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


def _problem(code: str, field: str, message: str) -> dict[str, Any]:
    return {"field": ["input", field], "message": message, "code": UserErrorCode(code).value}


def _scope(raw: Any) -> str:
    return ApiKeyScope(getattr(raw, "value", raw)).stored


@authorized(may_administer, ADMINS_ONLY_KEYS)
async def run_create_api_key(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """createApiKey: admins only; the secret is in this payload and nowhere else."""
    data = dict(args["input"])
    refused: dict[str, Any] = {"api_key_id": None, "secret": None}
    problems: list[Problem] = []
    team_ids = [
        input_id({"teamIds": raw}, "teamIds", "Team", problems) for raw in data.get("teamIds") or []
    ]
    if problems:
        return refused | {"userErrors": [_problem("INVALID_ID", "teamIds", "Not a Team id.")]}
    try:
        issued = await create_api_key(
            ctx.conn,
            ctx.identity,
            name=data["name"],
            scopes=[_scope(s) for s in data["scopes"]],
            team_ids=[t for t in team_ids if t is not None],
            expires_at=data.get("expiresAt"),
        )
    except ApiKeyInputError as error:
        return refused | {"userErrors": [_problem(error.code, error.field, str(error))]}
    return {"api_key_id": issued.id, "secret": issued.secret, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_KEYS)
async def run_revoke_api_key(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """revokeApiKey: admins only; requests with the key fail from now on."""
    problems: list[Problem] = []
    api_key_id = input_id(dict(args["input"]), "id", "ApiKey", problems)
    if api_key_id is None:
        return {
            "api_key_id": None,
            "userErrors": [_problem("INVALID_ID", "id", "Not an ApiKey id.")],
        }
    found = await revoke_api_key(ctx.conn, ctx.identity, api_key_id)
    if not found:
        return {"api_key_id": None, "userErrors": [_problem("NOT_FOUND", "id", "No such key.")]}
    return {"api_key_id": api_key_id, "userErrors": []}


@strawberry.type
class ApiKeyMutations:
    @strawberry.mutation(
        description="Create an API key (admins only); its secret is returned only here.",
        metadata=mapped(Mutation(run_create_api_key)),
    )
    async def create_api_key(
        self, info: strawberry.Info, input: CreateApiKeyInput
    ) -> CreateApiKeyPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Revoke an API key (admins only); revoking it again changes nothing.",
        metadata=mapped(Mutation(run_revoke_api_key)),
    )
    async def revoke_api_key(
        self, info: strawberry.Info, input: RevokeApiKeyInput
    ) -> RevokeApiKeyPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
