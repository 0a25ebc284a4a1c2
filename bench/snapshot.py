"""A copy of okrql's source taken when a run starts: its servers and the template use it.

A run's servers start together, but okrql reads some files lazily (its SQL at a query's first
use) and W3's later rounds first touch theirs many minutes later: a project edited meanwhile
would mix two versions in one run. The copy (the working tree as it is, committed or not;
without .git, the venvs, bench/, tests, docs and caches) lives in a temporary directory,
removed at the end. uvicorn puts its working directory first on sys.path, ahead of the
editable install's finder, so `api.app` is imported from the copy; the harness imports the
project (for the derived columns) from it as well.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
import tempfile
from pathlib import Path

from bench.config import PROJECT_DIR

TOP_LEVEL_SKIPPED = {
    ".git",
    ".venv",
    ".ci",
    ".okrql",
    ".hypothesis",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    "bench",
    "tests",
    "docs",
    "build",
    "dist",
}


def _ignore(directory: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n == "__pycache__" or n.endswith((".pyc", ".egg-info"))}
    if Path(directory) == PROJECT_DIR:
        skipped |= TOP_LEVEL_SKIPPED & set(names)
    return skipped


def take() -> Path:
    """Copy the project's source; returns the copy's root (a temporary directory's child)."""
    root = Path(tempfile.mkdtemp(prefix="okrql-bench-src-")) / "okrql"
    shutil.copytree(PROJECT_DIR, root, ignore=_ignore, symlinks=True)
    # The harness's own imports of the project (bench.load.derive) come from the copy too.
    sys.path.insert(0, str(root))
    return root


def digest(root: Path) -> str:
    """A short hash of the copy: which source a run measured, beside the git revision."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def remove(root: Path) -> None:
    if str(root) in sys.path:
        sys.path.remove(str(root))
    shutil.rmtree(root.parent, ignore_errors=True)
