"""API keys' rules: the secret's shape, its hash, scopes and name.

A key reads `okrql_` followed by 32 random bytes (URL-safe base64). It is shown once, when it
is created; okrql keeps its SHA-256 (the secret has 256 bits of entropy, so a plain hash
suffices) and its first characters as a non-secret `prefix` that tells keys apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated

from pydantic import AfterValidator

from domain.errors import DomainError, UserErrorCode
from domain.validation import Command

KEY_PREFIX = "okrql_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
# `scim` is for provisioning from an identity provider (/scim/v2) and nothing else.
SCOPES = ("read", "write", "checkins:write", "scim")
# What a person's own token may carry: never provisioning.
PERSONAL_SCOPES = tuple(s for s in SCOPES if s != "scim")
MAX_NAME_LENGTH = 200


class ApiKeyInputError(ValueError):
    """An API key that cannot be created as asked; `field` names the input at fault."""

    def __init__(self, field: str, message: str, code: str = "INVALID") -> None:
        super().__init__(message)
        self.field = field
        self.code = code  # a UserErrorCode name

    def as_domain_error(self) -> DomainError:
        """The same refusal as a user error on the input field at fault."""
        return DomainError.of(UserErrorCode(self.code), ("input", self.field), str(self))


def _stored_scopes(names: list[str]) -> list[str]:
    # The API spells scopes as enum constants (CHECKINS_WRITE); they are stored, documented and
    # checked by `parse_scopes` as checkins:write.
    return [name.lower().replace("_", ":") for name in names]


class CreateApiKey(Command):
    """A new key as asked for through the API, its team ids already resolved to keys; its rules
    are checked as it is issued (`issue_key`, the same for the command line)."""

    name: str
    scopes: Annotated[list[str], AfterValidator(_stored_scopes)]
    team_ids: list[int] | None = None
    expires_at: dt.datetime | None = None


class CreatePersonalAccessToken(Command):
    """A token for a script that acts as the caller; its rules are checked as it is issued."""

    name: str
    scopes: Annotated[list[str], AfterValidator(_stored_scopes)]
    expires_at: dt.datetime | None = None


class RevokePersonalAccessToken(Command):
    """A personal access token to revoke: one's own, or (admins) anyone's."""

    id: int


class RevokeApiKey(Command):
    """A key to revoke."""

    id: int


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


def key_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise ApiKeyInputError("name", "Give the key a name.", "REQUIRED")
    if len(name) > MAX_NAME_LENGTH:
        raise ApiKeyInputError("name", f"At most {MAX_NAME_LENGTH} characters.", "TOO_LONG")
    return name
