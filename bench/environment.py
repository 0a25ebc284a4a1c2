"""The machine and the versions a run measured, for the report."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib.metadata
import os
import subprocess
from pathlib import Path
from typing import Any

import asyncpg

from bench import tooling
from bench.config import PROJECT_DIR

PACKAGES = (
    "strawberry-graphql",
    "graphql-core",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "asyncpg",
    "orjson",
)


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "?"


def _okrql_revision() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=False
        ).stdout.strip()

    rev = git("rev-parse", "--short", "HEAD") or "?"
    return f"{rev}+local changes" if git("status", "--porcelain", "--untracked-files=no") else rev


async def _postgres(admin_url: str) -> tuple[str, str | None]:
    conn = await asyncpg.connect(admin_url)
    try:
        version = await conn.fetchval("SHOW server_version")
        try:
            data_dir = await conn.fetchval("SHOW data_directory")
        except asyncpg.InsufficientPrivilegeError:
            data_dir = None
        return version, data_dir
    finally:
        await conn.close()


def postgres_info(admin_url: str) -> tuple[str, str | None]:
    """(server version, data directory or None when not a superuser)."""
    return asyncio.run(_postgres(admin_url))


def describe(admin_url: str) -> dict[str, Any]:
    versions: dict[str, str] = dict(tooling.versions())
    versions["okrql"] = _okrql_revision()
    versions["postgres"] = postgres_info(admin_url)[0]
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = "-"
    return {
        "started": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "host": os.uname().nodename,
        "kernel": os.uname().release,
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "versions": versions,
    }
