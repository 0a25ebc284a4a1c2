"""Issuing and revoking API keys: the secret is shown once, okrql keeps its hash
(domain/api_keys.py has the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from db import api_keys as db
from db import events
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.api_keys import (
    PERSONAL_SCOPES,
    PREFIX_LENGTH,
    ApiKeyInputError,
    CreateApiKey,
    CreatePersonalAccessToken,
    IssuedKey,
    RevokeApiKey,
    RevokePersonalAccessToken,
    hash_secret,
    key_name,
    new_secret,
    parse_scopes,
)
from domain.errors import DomainError, UserErrorCode
from domain.permissions import may_administer, may_manage_tokens, require
from services.identity import Identity

# The event log's names for the two kinds of key.
_EVENT_TYPES = {"ApiKey": "api_key", "PersonalAccessToken": "personal_access_token"}


async def issue_key(
    conn: Connection,
    organization_id: int,
    *,
    name: str,
    scopes: Iterable[str],
    team_ids: Sequence[int] = (),
    expires_at: dt.datetime | None = None,
    created_by: int | None = None,
    now: dt.datetime | None = None,
    user_id: int | None = None,
) -> IssuedKey:
    """Create a key of the organisation (in the caller's transaction, bound to it), or with
    `user_id` a personal access token of that member; the secret is in the result and
    nowhere else."""
    name = key_name(name)
    chosen = parse_scopes(scopes)
    if user_id is not None and not set(chosen) <= set(PERSONAL_SCOPES):
        raise ApiKeyInputError(
            "scopes", f"A personal access token's scopes are {', '.join(PERSONAL_SCOPES)}."
        )
    now = now or dt.datetime.now(dt.UTC)
    if expires_at is not None and expires_at <= now:
        raise ApiKeyInputError("expiresAt", "The expiry must be in the future.", "OUT_OF_RANGE")
    teams = sorted(set(team_ids))
    if teams and await db.count_teams(conn, organization_id, teams) != len(teams):
        raise ApiKeyInputError("teamIds", "No such team.", "NOT_FOUND")
    secret = new_secret()
    prefix = secret[:PREFIX_LENGTH]
    api_key_id = await db.create(
        conn,
        organization_id,
        name=name,
        prefix=prefix,
        secret_hash=hash_secret(secret),
        scopes=chosen,
        team_ids=teams,
        created_by=created_by,
        expires_at=expires_at,
        user_id=user_id,
    )
    await _record(
        conn,
        organization_id,
        "ApiKey" if user_id is None else "PersonalAccessToken",
        api_key_id,
        "created",
        {
            "name": name,
            "prefix": prefix,
            "scopes": list(chosen),
            "teamIds": teams,
            "expiresAt": expires_at.isoformat() if expires_at else None,
        },
        actor_user_id=created_by,
    )
    return IssuedKey(id=api_key_id, secret=secret, prefix=prefix)


async def _record(
    conn: Connection,
    organization_id: int,
    subject: str,
    api_key_id: int,
    action: str,
    after: dict[str, Any],
    *,
    actor_user_id: int | None,
    actor_api_key_id: int | None = None,
) -> None:
    """A key's `api_key.<action>` or `personal_access_token.<action>` event."""
    await events.record(
        conn,
        organization_id,
        type=f"{_EVENT_TYPES[subject]}.{action}",
        subject_type=subject,
        subject_id=api_key_id,
        actor_user_id=actor_user_id,
        actor_api_key_id=actor_api_key_id,
        before=None,
        after=after,
    )


async def revoke_key(
    conn: Connection,
    organization_id: int,
    api_key_id: int,
    *,
    actor_user_id: int | None,
    subject: str = "ApiKey",
    actor_api_key_id: int | None = None,
) -> bool:
    """Revoke a key of the organisation; False when it has no key by that id."""
    if not await db.revoke(conn, organization_id, api_key_id):
        return False
    await _record(
        conn,
        organization_id,
        subject,
        api_key_id,
        "revoked",
        {"revoked": True},
        actor_user_id=actor_user_id,
        actor_api_key_id=actor_api_key_id,
    )
    return True


_ADMINS_ONLY = "Only an admin of the organisation may manage API keys."


async def create_api_key(conn: Connection, identity: Identity, command: CreateApiKey) -> IssuedKey:
    """createApiKey: an admin issues a key of their organisation, in one transaction; broken
    rules are DomainErrors."""
    require(may_administer(identity.actor), _ADMINS_ONLY)
    try:
        async with tenant_transaction(conn, identity.organization_id):
            return await issue_key(
                conn,
                identity.organization_id,
                name=command.name,
                scopes=command.scopes,
                team_ids=command.team_ids or (),
                expires_at=command.expires_at,
                created_by=identity.user_id,
            )
    except ApiKeyInputError as error:
        raise error.as_domain_error() from None


async def revoke_api_key(conn: Connection, identity: Identity, command: RevokeApiKey) -> int:
    """revokeApiKey: an admin revokes a key of their organisation; its id."""
    require(may_administer(identity.actor), _ADMINS_ONLY)
    async with tenant_transaction(conn, identity.organization_id):
        found = await revoke_key(
            conn, identity.organization_id, command.id, actor_user_id=identity.user_id
        )
    if not found:
        raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such key.")
    return command.id


_OWN_TOKENS = "Personal access tokens are made by the person, signed in themself."


async def create_personal_token(
    conn: Connection, identity: Identity, command: CreatePersonalAccessToken
) -> IssuedKey:
    """createPersonalAccessToken: a person issues a token that acts as them, in one
    transaction; broken rules are DomainErrors."""
    require(may_manage_tokens(identity.actor), _OWN_TOKENS)
    assert identity.user_id is not None
    try:
        async with tenant_transaction(conn, identity.organization_id):
            return await issue_key(
                conn,
                identity.organization_id,
                name=command.name,
                scopes=command.scopes,
                expires_at=command.expires_at,
                created_by=identity.user_id,
                user_id=identity.user_id,
            )
    except ApiKeyInputError as error:
        raise error.as_domain_error() from None


async def revoke_personal_token(
    conn: Connection, identity: Identity, command: RevokePersonalAccessToken
) -> int:
    """revokePersonalAccessToken: a person revokes their own token, an admin anyone's; a token
    may revoke itself (a script that leaks can end its own access). Its id."""
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        owner = await db.personal_token_owner(conn, organization_id, command.id)
        own = owner is not None and owner == identity.user_id
        # Someone else's token reads like none at all to a non-admin.
        if owner is None or not (own or may_administer(identity.actor)):
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such token.")
        await revoke_key(
            conn,
            organization_id,
            command.id,
            actor_user_id=identity.user_id,
            subject="PersonalAccessToken",
            actor_api_key_id=identity.api_key_id,
        )
    return command.id
