"""Start a target pinned to its CPU, wait until it answers, talk GraphQL to it, stop it.

Only processes started here are ever signalled, by the PID Popen returned. A port that is
already taken refuses the start: whatever listens there is not ours, so it is neither loaded
nor stopped.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bench.targets import Target

READY_TIMEOUT_S = 90


class ServerError(RuntimeError):
    pass


def post(url: str, body: dict[str, Any], timeout: float = 60) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def graphql(
    target: Target, kind: str, variables: dict[str, Any], operation: str
) -> tuple[int, bytes]:
    body = {"operationName": operation, "query": target.document(kind), "variables": variables}
    return post(target.url, body)


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Server:
    def __init__(self, target: Target, cpu: int | None, log_file: Path) -> None:
        self.target = target
        self.cpu = cpu
        self.log_file = log_file
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> None:
        if port_in_use(self.target.port):
            raise ServerError(f"port {self.target.port} is already in use by another process")
        cmd = list(self.target.command)
        if self.cpu is not None:
            cmd = ["taskset", "-c", str(self.cpu), *cmd]
        env = dict(os.environ, **self.target.env)
        with self.log_file.open("ab") as log:  # a restart (W3's rounds) appends
            self.proc = subprocess.Popen(
                cmd, cwd=self.target.cwd, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        print(f"  started {self.target.name} (pid {self.proc.pid}): {' '.join(cmd)}", flush=True)

    def wait_ready(self) -> None:
        """Until `{ __typename }` answers 200, our process still running."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise ServerError(f"{self.target.name} exited; see {self.log_file}")
            try:
                status, _ = post(self.target.url, {"query": "{ __typename }"}, timeout=5)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.5)
        raise ServerError(f"{self.target.name} not ready after {READY_TIMEOUT_S}s")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
