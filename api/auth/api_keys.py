"""API keys for integrations: random secrets, stored only as a hash, owned by an organisation.

A key reads `okrql_` followed by 32 random bytes (URL-safe base64). It is shown once, when it
is created; okrql keeps its SHA-256 (the secret has 256 bits of entropy, so a plain hash
suffices) and its first characters as a non-secret `prefix` that tells keys apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from db import api_keys as db
from db import events
from db.progress import Connection

KEY_PREFIX = "okrql_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
SCOPES = ("read", "write", "checkins:write")
MAX_NAME_LENGTH = 200


class ApiKeyInputError(ValueError):
    """An API key that cannot be created as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str, code: str = "INVALID") -> None:
        super().__init__(message)
        self.field = field
        self.code = code  # a UserErrorCode name


@dataclass(frozen=True, slots=True)
class IssuedKey:
    id: int
    secret: str
    prefix: str


def looks_like_key(credential: str) -> bool:
    return credential.startswith(KEY_PREFIX)


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def new_secret() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def parse_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known scopes, each once, in the canonical order; at least one."""
    chosen = {s.strip() for s in scopes if s.strip()}
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise ApiKeyInputError(
            "scopes", f"Unknown scope {unknown[0]!r}: choose from {', '.join(SCOPES)}."
        )
    if not chosen:
        raise ApiKeyInputError("scopes", "Give a key at least one scope.", "REQUIRED")
    return tuple(s for s in SCOPES if s in chosen)


def _name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ApiKeyInputError("name", "Give the key a name.", "REQUIRED")
    if len(name) > MAX_NAME_LENGTH:
        raise ApiKeyInputError("name", f"At most {MAX_NAME_LENGTH} characters.", "TOO_LONG")
    return name


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
) -> IssuedKey:
    """Create a key of the organisation (in the caller's transaction, bound to it); the secret
    is in the result and nowhere else."""
    name = _name(name)
    chosen = parse_scopes(scopes)
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
    )
    await events.record(
        conn,
        organization_id,
        type="api_key.created",
        subject_type="ApiKey",
        subject_id=api_key_id,
        actor_user_id=created_by,
        before=None,
        after={
            "name": name,
            "prefix": prefix,
            "scopes": list(chosen),
            "teamIds": teams,
            "expiresAt": expires_at.isoformat() if expires_at else None,
        },
    )
    return IssuedKey(id=api_key_id, secret=secret, prefix=prefix)


async def revoke_key(
    conn: Connection, organization_id: int, api_key_id: int, *, actor_user_id: int | None
) -> bool:
    """Revoke a key of the organisation; False when it has no key by that id."""
    if not await db.revoke(conn, organization_id, api_key_id):
        return False
    await events.record(
        conn,
        organization_id,
        type="api_key.revoked",
        subject_type="ApiKey",
        subject_id=api_key_id,
        actor_user_id=actor_user_id,
        before=None,
        after={"revoked": True},
    )
    return True
