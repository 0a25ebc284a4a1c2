"""The load: the same logical request sequence for every server, replayed by wrk.

Distributions (as in peer-bench): W1 cycles round robin; W2 a uniformly random objective; W3 a
uniformly random KR that accepts check-ins, a random value and confidence; W4 cycles round robin,
each with a random page from the second half of that cycle's list ("deep" pages, fetched after
the server's own cursor). wrk runs one thread, closed loop, pinned to the load CPU, for a fixed
duration; its subprocess has a hard timeout as well.
"""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.config import BENCH_DIR
from bench.targets import OPERATIONS, Target

LUA_SCRIPT = BENCH_DIR / "wrk" / "graphql.lua"
N_VARIABLES = 100_000  # replayed round robin: more than any run completes at these rates
CONFIDENCES = ("ON_TRACK", "ON_TRACK", "AT_RISK", "OFF_TRACK")
KIND_SEEDS = {"w1": 1, "w2": 2, "w3": 3, "w4": 4}


@dataclass(frozen=True)
class DataShape:
    """What the logical variables may address in the loaded data."""

    cycles: list[int]
    objectives: int
    writable_key_results: list[int]
    deep_pages: dict[int, list[int]]  # cycle -> W4 page numbers in the second half


def deep_pages(page_count: int) -> list[int]:
    return list(range(max(1, page_count // 2), page_count)) or [0]


def logical_variables(kind: str, shape: DataShape, seed: int, n: int) -> list[dict[str, Any]]:
    rnd = random.Random(seed * 10 + KIND_SEEDS[kind])
    cycles = shape.cycles
    out: list[dict[str, Any]] = []
    for i in range(n):
        if kind == "w1":
            out.append({"cycle": cycles[i % len(cycles)]})
        elif kind == "w2":
            out.append({"objective": rnd.randint(1, shape.objectives)})
        elif kind == "w3":
            value = f"{rnd.randint(0, 2000)}.{rnd.randint(0, 99):02d}"
            out.append(
                {
                    "key_result": rnd.choice(shape.writable_key_results),
                    "value": value,
                    "confidence": rnd.choice(CONFIDENCES),
                    "comment": "wrk check-in",
                }
            )
        else:
            cycle = cycles[i % len(cycles)]
            out.append({"cycle": cycle, "page": rnd.choice(shape.deep_pages[cycle])})
    return out


def write_request_files(
    target: Target,
    kind: str,
    logical: list[dict[str, Any]],
    cursors: dict[int, list[str]],
    outdir: Path,
) -> tuple[Path, Path]:
    """The body prefix and the variables file the Lua script reads."""
    prefix_file = outdir / f"{target.name}.{kind}.body-prefix.json"
    body = json.dumps({"operationName": OPERATIONS[kind], "query": target.document(kind)})
    prefix_file.write_text(body[:-1] + ',"variables":')
    vars_file = outdir / f"{target.name}.{kind}.vars.jsonl"
    with vars_file.open("w") as f:
        for v in logical:
            variables = target.hooks.variables(kind, v, cursors)
            f.write(json.dumps(variables, separators=(",", ":")) + "\n")
    return prefix_file, vars_file


def run_wrk(
    target: Target,
    files: tuple[Path, Path],
    conc: int,
    duration_s: int,
    cpu: int | None,
    result_file: Path,
) -> dict[str, Any]:
    prefix_file, vars_file = files
    cmd = [
        "wrk",
        "-t1",
        f"-c{conc}",
        f"-d{duration_s}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(LUA_SCRIPT),
        target.url,
    ]
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu), *cmd]
    env = {
        "BODY_PREFIX_FILE": str(prefix_file),
        "VARS_FILE": str(vars_file),
        "RESULT_FILE": str(result_file),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }
    result_file.unlink(missing_ok=True)
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=duration_s + 60, check=False
    )
    result_file.with_suffix(".txt").write_text(" ".join(cmd) + "\n\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0 or not result_file.exists():
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr[-500:]}")
    result: dict[str, Any] = json.loads(result_file.read_text())
    return result
