"""docker-compose.yml starts: the README's Compose block runs as written, with each service's
command run on this machine with that service's environment (tests/compose/docker plays
`docker compose`), against a fresh, unmigrated database standing in for the `postgres`
service. A compose file whose migration, settings or health check would not work fails here,
without a Docker engine."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import fresh_database
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
MARKER = "tests/db/test_compose.py runs this block"


def _compose_block() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    marker = text.index(MARKER)
    block = re.search(r"```sh\n(.*?)```", text[marker:], re.S)
    assert block is not None, "the README's Compose block"
    return block.group(1)


async def test_the_readme_compose_trial_runs_as_written(server_url: str, tmp_path: Path) -> None:
    port = free_port()
    block = _compose_block()
    assert "docker compose up" in block
    async with fresh_database(server_url, migrate=False) as url:
        env = {
            **os.environ,
            "PATH": f"{ROOT / 'tests' / 'compose'}:{Path(sys.executable).parent}:{os.environ['PATH']}",
            "OKRQL_COMPOSE_FILE": str(ROOT / "docker-compose.yml"),
            "OKRQL_COMPOSE_DATABASE_URL": url,
            "OKRQL_COMPOSE_PORT": str(port),
            "OKRQL_COMPOSE_STATE": str(tmp_path),
        }
        for name in list(env):  # the services' settings come from the compose file only
            if name.startswith("OKRQL_") and not name.startswith("OKRQL_COMPOSE_"):
                del env[name]
        script = block.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        try:
            done = await asyncio.to_thread(
                subprocess.run, ["bash", "-euo", "pipefail", "-c", script],
                env=env, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
            )  # fmt: skip
            # (while the API still runs) it is in production mode: no caller without credentials
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                anonymous = await client.post(
                    "/graphql", json={"query": "{ __typename }"}, headers={"x-organization": "acme"}
                )
        finally:
            pid = tmp_path / "api.pid"
            if pid.exists():
                os.killpg(int(pid.read_text()), signal.SIGTERM)
        log = (tmp_path / "api.log").read_text() if (tmp_path / "api.log").exists() else ""
        assert done.returncode == 0, (done.stdout, done.stderr, log[-3000:])
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    # then the one-shot service migrated the empty database, the API started healthy, and the
    # token minted for the new organisation's admin signs them in
    assert answer["data"] == {
        "organization": {"name": "Acme"},
        "viewer": {"name": "admin", "role": "ADMIN"},
    }, answer
    assert anonymous.status_code == 401, anonymous.text


@pytest.fixture(autouse=True)
def _needs_bash() -> None:
    if subprocess.run(["bash", "-c", "true"], check=False).returncode != 0:
        pytest.skip("bash is needed to run the README's block")
