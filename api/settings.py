"""Settings from environment variables (see the README's configuration table)."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OKRQL_", extra="ignore")

    # DATABASE_URL is the conventional name, so it is read without the OKRQL_ prefix.
    database_url: str | None = None
    data_dir: Path = Path(".okrql")
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"
    environment: Environment = Environment.DEVELOPMENT
    # The role API connections switch to: row-level security binds it (see migration 0005).
    # Empty only for tooling that must see every organisation.
    database_role: str = "okrql_app"
    pool_min_size: int = 2
    pool_max_size: int = 10
    # A dashboard reads a whole cycle (hundreds of objectives) in one request.
    max_page_size: int = 1000
    demo_organization: str = "demo"
    # Limits on hostile documents (README "Limits"), all checked before any SQL runs.
    max_body_bytes: int = 1_000_000
    max_tokens: int = 5_000
    max_depth: int = 12
    max_aliases: int = 50
    max_directives: int = 50
    # The most one request may cost (1 per object it may return; see api/limits.py): GitHub's
    # node limit. A whole cycle's dashboard with 100 key results per objective costs 202,002.
    max_query_cost: int = 500_000
    # Each caller's leaky bucket of cost points, per instance: at most this many in flight,
    # draining at this many per second. A capacity of 0 turns rate limiting off.
    rate_limit_capacity: int = 2_000_000
    rate_limit_refill_per_second: float = 200_000.0
    # Authentication (see the README). A JWT is verified with the HS256 secret, or the
    # RS256/ES256 public key (PEM text or a file), or the keys of a JWKS file; its issuer and
    # audience must match. A production server refuses to start without them.
    jwt_secret: str | None = None
    jwt_public_key: str | None = None
    jwt_jwks_file: Path | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    # Seconds of clock skew tolerated on a token's exp/nbf/iat.
    jwt_leeway: int = 30

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def jwt_configured(self) -> bool:
        """A key to verify tokens with, and the issuer and audience they must name."""
        has_key = bool(self.jwt_secret or self.jwt_public_key or self.jwt_jwks_file)
        return has_key and bool(self.jwt_issuer) and bool(self.jwt_audience)


class _DatabaseUrl(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")
    database_url: str | None = None


@functools.cache
def get_settings() -> Settings:
    settings = Settings()
    if settings.database_url is None:
        settings.database_url = _DatabaseUrl().database_url
    return settings
