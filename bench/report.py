"""Tables from a run's results: okrql beside PostGraphile with ratios, and every target's detail.

`render` makes the markdown written to results/<run>/results.md and, with --update-readme,
between the markers in bench/README.md. Ratios are okrql / PostGraphile: above 1 means okrql
serves more requests per second; for latency, CPU and memory below 1 means okrql needs less.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from bench.config import BENCH_DIR

README = BENCH_DIR / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
WORKLOAD_NAMES = {
    "w1": "W1 dashboard",
    "w2": "W2 objective page",
    "w3": "W3 check-in",
    "w4": "W4 list page",
}


def _ms(us: float | None) -> str:
    if us is None:
        return "-"
    return f"{us / 1000:.1f}" if us < 100_000 else f"{us / 1000:.0f}"


def _num(r: dict[str, Any], key: str, digits: int) -> str:
    value = r.get(key)
    return "-" if value is None else f"{value:.{digits}f}"


def _pct(r: dict[str, Any], percentile: str) -> str:
    return _ms(r.get("latency_us", {}).get(percentile))


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}" if a and b else "-"


def _errors(r: dict[str, Any]) -> str:
    if "error" in r:
        return f"FAILED: {r['error'][:80]}"
    e = r["errors"]
    parts = []
    socket = e["connect"] + e["read"] + e["write"] + e["timeout"]
    if socket:
        parts.append(f"socket {socket}")
    for key, label in (("non200", "HTTP"), ("graphql_errors", "GraphQL"), ("user_errors", "user")):
        if r.get(key):
            parts.append(f"{label} {r[key]}")
    w = r.get("writes")
    if w:
        if w["rows_inserted"] < r["requests"]:
            parts.append(f"{w['rows_inserted']} rows for {r['requests']} req")
        if w["kr_mismatch"] or w["objective_mismatch"]:
            parts.append(f"stale KR {w['kr_mismatch']} / objective {w['objective_mismatch']}")
    return "; ".join(parts) or "0"


def side_by_side(results: list[dict[str, Any]]) -> list[str]:
    by_key = {(r["target"], r["kind"], r["conc"]): r for r in results}
    keys = sorted({(r["kind"], r["conc"]) for r in results if isinstance(r["conc"], int)})
    lines = [
        "| workload | conc | okrql req/s | PostGraphile req/s | req/s ratio "
        "| p50 ms (okrql / PostGraphile) | p99 ms (okrql / PostGraphile) "
        "| server CPU ms/req (okrql / PostGraphile) | CPU ratio "
        "| peak RSS MB (okrql / PostGraphile) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, conc in keys:
        a = by_key.get(("okrql", kind, conc), {})
        b = by_key.get(("postgraphile", kind, conc), {})

        cpu = "server_cpu_ms_per_req"
        lines.append(
            f"| {WORKLOAD_NAMES[kind]} | {conc} | {_num(a, 'rps', 1)} | {_num(b, 'rps', 1)} "
            f"| {_ratio(a.get('rps'), b.get('rps'))} "
            f"| {_pct(a, 'p50')} / {_pct(b, 'p50')} | {_pct(a, 'p99')} / {_pct(b, 'p99')} "
            f"| {_num(a, cpu, 2)} / {_num(b, cpu, 2)} | {_ratio(a.get(cpu), b.get(cpu))} "
            f"| {_num(a, 'peak_rss_mb', 0)} / {_num(b, 'peak_rss_mb', 0)} |"
        )
    return lines


def detail(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| target | workload | conc | req/s | p50 ms | p99 ms | body bytes | server CPU ms/req "
        "| Postgres CPU ms/req | peak RSS MB | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        if "rps" not in r:
            cells = f"| {r['target']} | {r['kind']} | {r['conc']} |"
            lines.append(f"{cells} | | | | | | | | {_errors(r)} |")
            continue
        lat = r["latency_us"]
        lines.append(
            f"| {r['target']} | {r['kind']} | {r['conc']} | {r['rps']:.1f} | {_ms(lat['p50'])} "
            f"| {_ms(lat['p99'])} | {r.get('body_bytes') or ''} "
            f"| {_num(r, 'server_cpu_ms_per_req', 2)} | {_num(r, 'pg_cpu_ms_per_req', 2)} "
            f"| {r.get('peak_rss_mb') or ''} | {_errors(r)} |"
        )
    return lines


def render(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    v = meta["versions"]
    lines = [
        f"Run {meta['started']} on `{meta['host']}` ({meta['cpu_model']}, {meta['cpus']} CPUs, "
        f"{meta['memory_gb']} GB, Linux {meta['kernel']}); scale {meta['scale']} "
        f"(seed {meta['seed']}); {meta['duration_s']} s per run after a {meta['warmup_s']} s "
        f"warm-up at concurrency {meta['warmup_conc']}; server on CPU {meta['pin_server']}, wrk "
        f"(1 thread) and Postgres on CPU {meta['pin_load']}/{meta['pin_pg']}.",
        "",
        f"Versions: okrql {v.get('okrql', '?')}, PostgreSQL {v.get('postgres', '?')}, "
        f"PostGraphile {v.get('postgraphile', '?')} on Node {v.get('node', '?')}, Python "
        f"{v.get('python', '?')}, strawberry-graphql {v.get('strawberry-graphql', '?')}, "
        f"graphql-core {v.get('graphql-core', '?')}, uvicorn {v.get('uvicorn', '?')}, "
        f"asyncpg {v.get('asyncpg', '?')}, wrk {v.get('wrk', '?')}.",
        "",
        "CPU probe (fixed loop on the server CPU before each target; lower is faster): "
        + ", ".join(f"{t} {ms} ms" for t, ms in meta.get("cpu_probe_ms", {}).items())
        + ".",
        "",
        *side_by_side(results),
        "",
        "Checks against the SQL reference: "
        + "; ".join(f"{t}: {c}" for t, c in meta.get("checks", {}).items())
        + ". okrql vs PostGraphile, same requests: "
        + meta.get("okrql_vs_postgraphile_answers", "not both checked in this run")
        + ".",
        "",
        "<details><summary>Every run</summary>",
        "",
        *detail(results),
        "",
        "</details>",
    ]
    return "\n".join(lines)


def update_readme(markdown: str) -> None:
    text = README.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{README} has no {START} ... {END} markers")
    README.write_text(pattern.sub(lambda _: f"{START}\n{markdown}\n{END}", text))


def main() -> None:
    """Re-render a finished run: python -m bench.report results/<run> [--update-readme]."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()
    data = json.loads((args.run_dir / "results.json").read_text())
    markdown = render(data["meta"], data["results"])
    print(markdown)
    if args.update_readme:
        update_readme(markdown)


if __name__ == "__main__":
    main()
