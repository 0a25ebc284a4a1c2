"""Where things are and how the bench database is named: one place for every path and default."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
PROJECT_VENV = PROJECT_DIR / ".venv"
NODE_VENV = BENCH_DIR / ".venv-node"
POSTGRAPHILE_DIR = BENCH_DIR / "postgraphile"
WORKLOADS_DIR = BENCH_DIR / "workloads"
RESULTS_DIR = BENCH_DIR / "results"

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The organisation the bench data belongs to; okrql acts as its admin (OKRQL_DEMO_ORGANIZATION).
ORG_ID = 1
ORG_SLUG = "bench"


@dataclass(frozen=True)
class DatabaseConfig:
    """The template database and the clones of it, one per target (server).

    Each server gets its own clone for the whole run (okrql_bench_okrql,
    okrql_bench_postgraphile), so both can stay up while the other is loaded and W3's inserts
    of one never reach the other. Another scale gets its own names (okrql_bench_s10_...), so
    switching scales does not rebuild a template."""

    admin_url: str
    scale: float = 1.0
    seed: int = 42

    @property
    def name(self) -> str:
        if self.scale == 1:
            return "okrql_bench"
        return "okrql_bench_s" + f"{self.scale:g}".replace(".", "_")

    @property
    def template(self) -> str:
        return f"{self.name}_template"

    def database(self, target: str) -> str:
        """The database of one target."""
        return f"{self.name}_{target}"

    def url_for(self, target: str) -> str:
        return with_database(self.admin_url, self.database(target))

    @property
    def template_url(self) -> str:
        return with_database(self.admin_url, self.template)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_url_from_env() -> str:
    return os.environ.get("BENCH_ADMIN_URL", DEFAULT_ADMIN_URL)
