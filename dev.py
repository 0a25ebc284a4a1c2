#!/usr/bin/env python3
"""okrql's two-command entry point: needs only Python 3.11+.

    python3 dev.py serve    # install (first run), start PostgreSQL + API + demo data
    python3 dev.py test     # install (first run), run the whole test suite

Installs into ./.venv from pyproject.toml with the pinned versions of constraints.txt (with
uv, fetched from PyPI into the venv first, else with pip), and only again when either file
changes. Extra arguments go to the underlying command
(`okrql serve --port 9000`, `pytest -k planner`).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".okrql-installed"


def _fingerprint() -> str:
    digest = hashlib.sha256()
    for name in ("pyproject.toml", "constraints.txt"):
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is checked
        sys.exit("okrql needs Python 3.11 or newer")
    fingerprint = _fingerprint()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing okrql and its pinned dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    constraints = ["-c", str(ROOT / "constraints.txt")]
    project = ["-e", f"{ROOT}[dev]"]
    # uv (a single wheel from PyPI, pinned in constraints.txt) installs the rest in seconds
    # where pip takes over a minute; pip does it alone wherever uv cannot be had or fails.
    try:
        subprocess.run([*pip, *constraints, "uv"], check=True)
        uv = [str(BIN / "uv"), "pip", "install", "--quiet", "--python", str(BIN / "python")]
        subprocess.run([*uv, *constraints, *project], check=True)
    except (OSError, subprocess.CalledProcessError):
        print("uv was not available: installing with pip (about a minute) ...", flush=True)
        subprocess.run([*pip, *constraints, *project], check=True)
    STAMP.write_text(fingerprint)


def main(argv: list[str]) -> int:
    commands = {
        "serve": [str(BIN / "okrql"), "serve"],
        "test": [str(BIN / "python"), "-m", "pytest"],
        "okrql": [str(BIN / "okrql")],
    }
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    ensure_installed()
    os.chdir(ROOT)
    command = [*commands[argv[0]], *argv[1:]]
    if os.name == "posix":
        # Replace this process, so signals (Ctrl-C, SIGTERM) reach the server directly and it
        # shuts down gracefully.
        os.execv(command[0], command)
    return subprocess.run(command).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
