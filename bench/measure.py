"""One measured wrk run against a started server, with the server's and Postgres' cost.

CPU is counted from the start of the run until the server is idle again, so the work for the
requests still in flight when wrk stopped (about `conc` of them, finished after wrk left) is
included, and divided by completed requests + conc (peer-bench's accounting). Peak memory is
the server's VmHWM over the run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import loadgen, procs, writes
from bench.targets import Target


def measure(
    target: Target,
    pid: int,
    postgres: procs.Postgres | None,
    kind: str,
    files: tuple[Path, Path],
    conc: int,
    duration_s: int,
    load_cpu: int | None,
    result_file: Path,
    db_url: str,
) -> dict[str, Any]:
    row: dict[str, Any] = {"target": target.name, "kind": kind, "conc": conc}
    base = writes.max_check_in_id(db_url) if kind == "w3" else 0
    procs.reset_peak_memory(pid)
    cpu0, steal0 = procs.cpu_seconds(pid), procs.steal_seconds()
    pg_cpu = procs.PostgresCpu(postgres) if postgres else None
    try:
        res = loadgen.run_wrk(target, files, conc, duration_s, load_cpu, result_file)
    except Exception as exc:
        if pg_cpu:
            pg_cpu.stop()
        row["error"] = str(exc)
        return row
    row["idle_wait_s"] = procs.wait_idle(pid)
    server_s = procs.cpu_seconds(pid) - cpu0
    pg_s = pg_cpu.stop() if pg_cpu else 0.0
    n = max(res["requests"] + conc, 1)
    row.update(res)
    row["rps"] = res["requests"] / (res["duration_us"] / 1e6)
    row["server_cpu_s"] = round(server_s, 2)
    row["server_cpu_ms_per_req"] = server_s * 1000 / n
    row["pg_cpu_s"] = round(pg_s, 2) if pg_cpu else None
    row["pg_cpu_ms_per_req"] = pg_s * 1000 / n if pg_cpu else None
    row["peak_rss_mb"] = procs.memory_mb(pid, "VmHWM")
    row["steal_s"] = round(procs.steal_seconds() - steal0, 2)
    if kind == "w3":
        row["writes"] = writes.verify_since(db_url, base)
    return row


def describe(row: dict[str, Any]) -> str:
    if "error" in row:
        return f"  {row['kind']} c={row['conc']}: FAILED {row['error']}"
    lat = row["latency_us"]
    pg = row["pg_cpu_ms_per_req"]
    text = (
        f"  {row['kind']} c={row['conc']}: {row['rps']:.1f} req/s, p50 {lat['p50'] / 1000:.1f} ms,"
        f" p99 {lat['p99'] / 1000:.1f} ms; CPU ms/req server {row['server_cpu_ms_per_req']:.2f}"
        + (f" Postgres {pg:.2f}" if pg is not None else "")
        + f"; peak RSS {row['peak_rss_mb']} MB;"
        f" errors {sum(row['errors'].values())} socket, {row['non200']} HTTP,"
        f" {row['graphql_errors']} GraphQL, {row['user_errors']} user"
    )
    if "writes" in row:
        text += f"; writes {row['writes']}"
    return text
