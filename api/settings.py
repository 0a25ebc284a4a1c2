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

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


class _DatabaseUrl(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")
    database_url: str | None = None


@functools.cache
def get_settings() -> Settings:
    settings = Settings()
    if settings.database_url is None:
        settings.database_url = _DatabaseUrl().database_url
    return settings
