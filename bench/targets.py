"""The servers compared: okrql and its peer, PostGraphile V5, with their workload documents.

Each target has one document per workload kind (w1 dashboard, w2 objective page, w3 check-in,
w4 list page) in bench/workloads/<target>/, the same logical content in each server's own
schema, and a hooks module (bench/hooks/<target>.py) that turns the harness's logical variables
(cycle 3, objective 17, ...) into that server's variables (global ids, cursors, inputs).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from bench.config import (
    ORG_SLUG,
    POSTGRAPHILE_DIR,
    PROJECT_DIR,
    PROJECT_VENV,
    WORKLOADS_DIR,
)
from bench.hooks import okrql as okrql_hooks
from bench.hooks import postgraphile as postgraphile_hooks
from bench.tooling import node_bin

KINDS = ("w1", "w2", "w4", "w3")  # reads first: W3's inserts must not be read by W1/W2/W4
OPERATIONS = {
    "w1": "Dashboard",
    "w2": "ObjectivePage",
    "w3": "RecordCheckIn",
    "w4": "ObjectiveList",
}
POSTGRAPHILE_PORT, OKRQL_PORT = 18001, 18002  # W3's later rounds: +10, +20, ...
POOL_SIZE = "10"  # both servers get the same number of database connections


@dataclass(frozen=True)
class Target:
    name: str
    label: str
    port: int
    command: list[str]
    cwd: Path
    env: dict[str, str]
    hooks: ModuleType
    path: str = "/graphql"
    documents: dict[str, Path] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    @property
    def database_url(self) -> str:
        """The target's own database (a clone of the template)."""
        return self.env["DATABASE_URL"]

    def document(self, kind: str) -> str:
        return self.documents[kind].read_text()


def _documents(name: str) -> dict[str, Path]:
    return {kind: WORKLOADS_DIR / name / f"{kind}.graphql" for kind in KINDS}


def okrql(database_url: str, port: int = OKRQL_PORT, src: Path = PROJECT_DIR) -> Target:
    """okrql from `src`: the project, or the run's snapshot of it (bench.snapshot)."""
    return Target(
        name="okrql",
        label="okrql (strawberry schema + planner, uvicorn 1 worker, uvloop, httptools)",
        port=port,
        command=[
            # The app factory, not `okrql serve`: in development that seeds the demo organisation,
            # and the bench database must hold the same rows for both servers.
            str(PROJECT_VENV / "bin" / "uvicorn"),
            "--factory",
            "api.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--loop",
            "uvloop",
            "--http",
            "httptools",
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        cwd=src,  # uvicorn imports the app from its working directory first
        env={
            "DATABASE_URL": database_url,
            "OKRQL_ENVIRONMENT": "development",
            # Development mode acts as the admin of this organisation: the bench's.
            "OKRQL_DEMO_ORGANIZATION": ORG_SLUG,
            "OKRQL_POOL_MAX_SIZE": POOL_SIZE,
            # W1 asks for first: 1000 objectives (a cycle's ~500 at scale 1).
            "OKRQL_MAX_PAGE_SIZE": "1000",
            # One load generator is one caller: per-caller rate limiting would throttle the
            # load itself. Every other limit (cost, depth, ...) stays on.
            "OKRQL_RATE_LIMIT_CAPACITY": "0",
            "OKRQL_LOG_LEVEL": "WARNING",
        },
        hooks=okrql_hooks,
        documents=_documents("okrql"),
    )


PEER_TENANCIES = ("none", "rls")


def postgraphile(database_url: str, port: int = POSTGRAPHILE_PORT, tenancy: str = "none") -> Target:
    """The peer; `tenancy` "rls" binds every request to the bench organisation under okrql's
    API role, so row-level security applies to it too (graphile.config.mjs)."""
    assert tenancy in PEER_TENANCIES
    return Target(
        name="postgraphile",
        label="PostGraphile 5 (amber preset, Node 22, CLI"
        + (", row-level security through pgSettings)" if tenancy == "rls" else ")"),
        port=port,
        command=[
            str(node_bin()),
            "node_modules/postgraphile/dist/cli-run.js",
            "-C",
            "graphile.config.mjs",
        ],
        cwd=POSTGRAPHILE_DIR,
        env={
            "DATABASE_URL": database_url,
            "PORT": str(port),
            "POOL_MAX": POOL_SIZE,
            "NODE_ENV": "production",
            "PEER_TENANCY": tenancy,
        },
        hooks=postgraphile_hooks,
        documents=_documents("postgraphile"),
    )


def all_targets(
    url_for: Callable[[str], str], src: Path = PROJECT_DIR, peer_tenancy: str = "none"
) -> dict[str, Target]:
    """The peer first, then okrql (from `src`); each on its own database, `url_for(name)`."""
    peer = postgraphile(url_for("postgraphile"), tenancy=peer_tenancy)
    return {t.name: t for t in (peer, okrql(url_for("okrql"), src=src))}


def target_on(target: Target, database_url: str, port_offset: int) -> Target:
    """Another server of the same target: its own database and port (W3's later rounds)."""
    if target.name == "okrql":
        return okrql(database_url, OKRQL_PORT + port_offset, src=target.cwd)
    return postgraphile(
        database_url, POSTGRAPHILE_PORT + port_offset, tenancy=target.env["PEER_TENANCY"]
    )
