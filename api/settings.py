"""Settings from environment variables (see the README's configuration table)."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.webhooks import UrlPolicy

# The local dev servers of a frontend, on any port (api/cors.py).
DEVELOPMENT_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*")


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
    # Tests only: False drops the planner's own tenant predicate, to show that row-level
    # security alone keeps organisations apart (tests/api/test_tenant_walk.py). Refused in
    # production.
    application_tenant_filter: bool = True
    # Transactions use PostgreSQL's generic plan of each prepared statement instead of
    # planning it again per execution: planning, not execution, dominated the objective page's
    # Postgres time (2.9 -> 1.0 ms per request, bench/README.md).
    generic_plans: bool = True
    # The planner's price of reading a page out of order, on okrql's connections. PostgreSQL's
    # default, 4.0, prices a disk seek, and makes a generic plan scan a small table (an
    # organisation's teams) for every row that names one instead of probing its key: at 200
    # teams that was most of what made the list page slower at 10x the data. okrql's
    # working set is cached, and 1.1 prices that.
    random_page_cost: float = 1.1
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
    # The most check-ins one createCheckIns may carry (README "Integrations").
    max_bulk_check_ins: int = 100
    # Live subscriptions (README "Subscriptions"): the most missed events of one organisation
    # replayed after the LISTEN connection was away; beyond it, subscribers get EVENTS_MISSED.
    live_catch_up_limit: int = 1000
    # Seconds between the keep-alive comments of a GraphQL event stream (README "Server-Sent
    # Events"), so proxies do not close an idle one.
    event_stream_keep_alive: float = 12.0
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
    # Faults (README "Faults"): every wait on the database is bounded, in seconds. Connecting;
    # waiting for a pooled connection; one statement; one lock wait; a transaction left idle
    # (the server ends its session). A request over a budget fails with a code, never hangs.
    database_connect_timeout: float = 5.0
    database_acquire_timeout: float = 10.0
    statement_timeout: float = 15.0
    lock_timeout: float = 5.0
    idle_in_transaction_timeout: float = 60.0
    # The Retry-After (seconds) of a DATABASE_UNAVAILABLE answer.
    database_retry_after: int = 5
    # Webhooks (README "Webhooks"): `okrql serve` runs the delivery worker unless this is off
    # (then run `okrql worker` processes instead; any number may run side by side).
    webhook_worker: bool = True
    # Seconds between polls of an idle worker, and deliveries claimed per poll.
    webhook_poll_interval: float = 1.0
    webhook_batch_size: int = 20
    # Seconds a receiver has to answer one delivery, and a claim lasts: a worker that dies
    # mid-delivery leaves its claim, which expires after this long and is delivered again.
    webhook_timeout: float = 10.0
    webhook_lease: float = 60.0
    # Retries: after the nth failed attempt wait base * factor^(n-1) seconds (at most max);
    # after max_attempts attempts the delivery is FAILED (an admin may redeliver it).
    webhook_backoff_base: float = 10.0
    webhook_backoff_factor: float = 2.0
    webhook_backoff_max: float = 3600.0
    webhook_max_attempts: int = 8
    # The webhook URL policy (domain/webhooks.py): whether endpoints may use http://, and
    # whether they may point at (or resolve to) loopback, private, link-local, multicast or
    # unspecified addresses. Unset: allowed in development, refused in production.
    webhook_allow_http: bool | None = None
    webhook_allow_private_hosts: bool | None = None
    # Browsers (api/cors.py, README "Configuration"): the origins whose pages may call the API
    # and open its WebSocket, comma-separated, `:*` for any port. Unset: http://localhost:*,
    # http://127.0.0.1:* and http://[::1]:* in development, none in production.
    cors_origins: str | None = None
    # Whether those pages may send cookies or TLS client certificates with their requests
    # (Access-Control-Allow-Credentials); okrql itself reads only the Authorization header.
    cors_allow_credentials: bool = False
    # Seconds a browser may keep a preflight's answer.
    cors_max_age: int = 600
    # Seconds between the summaries of a database outage's refused requests (api/outages.py).
    outage_log_interval: float = 30.0
    # The bearer token Prometheus sends to /metrics (api/metrics.py); unset, /metrics is 404.
    # Metrics span every organisation: an operator's secret, not an organisation's admin.
    metrics_token: str | None = None

    @model_validator(mode="after")
    def _tenant_filter_stays_on_in_production(self) -> Settings:
        if self.is_production and not self.application_tenant_filter:
            raise ValueError("application_tenant_filter can only be switched off in tests")
        return self

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION

    @property
    def webhook_url_policy(self) -> UrlPolicy:
        def allowed(setting: bool | None) -> bool:
            return not self.is_production if setting is None else setting

        return UrlPolicy(
            allow_http=allowed(self.webhook_allow_http),
            allow_private_hosts=allowed(self.webhook_allow_private_hosts),
        )

    @property
    def allowed_origins(self) -> tuple[str, ...]:
        if self.cors_origins is None:
            return () if self.is_production else DEVELOPMENT_ORIGINS
        return tuple(o.strip() for o in self.cors_origins.split(",") if o.strip())

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
