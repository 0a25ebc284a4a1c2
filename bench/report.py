"""Tables from a run's results: okrql beside PostGraphile with ratios, and every run's detail.

`render` makes the markdown written to results/<run>/results.md and, with --update-readme,
between the markers in bench/README.md. The two targets are loaded back to back per workload,
concurrency and round, so each round gives a same-minute okrql / PostGraphile ratio; the
primary ratio is the median of those. Per-target numbers are medians over the rounds. A
probe-normalised ratio (each run's req/s scaled by the CPU probe taken right before it) is
shown as secondary information. Ratios: above 1 means okrql serves more requests per second;
for CPU below 1 means okrql needs less. `scale_curve` compares a scale-1 run with a scale-10
run (written between the scale-curve markers).
"""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

from bench.config import BENCH_DIR

README = BENCH_DIR / "README.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"
CURVE_START, CURVE_END = "<!-- scale-curve:start -->", "<!-- scale-curve:end -->"
KIND_ORDER = ("w1", "w2", "w3", "w4")
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


def _median(values: list[Any]) -> float | None:
    present: list[float] = [float(v) for v in values if v is not None]
    return float(statistics.median(present)) if present else None


def _rounds(
    results: list[dict[str, Any]], meta: dict[str, Any]
) -> dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]]:
    """(kind, conc) -> target -> round -> measured row (rows of older runs: round 0)."""
    legacy_probe = meta.get("cpu_probe_ms") if isinstance(meta.get("cpu_probe_ms"), dict) else {}
    out: dict[tuple[str, int], dict[str, dict[int, dict[str, Any]]]] = {}
    for r in results:
        if not isinstance(r.get("conc"), int) or "rps" not in r:
            continue
        if r.get("probe_ms") is None and legacy_probe:
            r = {**r, "probe_ms": legacy_probe.get(r["target"])}
        out.setdefault((r["kind"], r["conc"]), {}).setdefault(r["target"], {})[
            r.get("round", 0)
        ] = r
    return out


def _lat(r: dict[str, Any], percentile: str) -> float | None:
    value: float | None = r.get("latency_us", {}).get(percentile)
    return value


def summarise(rows: dict[int, dict[str, Any]]) -> dict[str, Any]:
    """One target's runs of one workload and concurrency: medians over the rounds."""
    runs = list(rows.values())
    rss: list[float] = [r["peak_rss_mb"] for r in runs if r.get("peak_rss_mb")]
    return {
        "rps": _median([r["rps"] for r in runs]),
        "p50": _median([_lat(r, "p50") for r in runs]),
        "p99": _median([_lat(r, "p99") for r in runs]),
        "cpu": _median([r.get("server_cpu_ms_per_req") for r in runs]),
        "pg": _median([r.get("pg_cpu_ms_per_req") for r in runs]),
        "rss": max(rss) if rss else None,
        "body": _median([r.get("body_bytes") for r in runs]),
        "n": len(runs),
    }


def pair_ratios(
    a: dict[int, dict[str, Any]], b: dict[int, dict[str, Any]], key: str, probe: bool = False
) -> list[float]:
    """a / b per round in which both ran, in round order; `probe`: each run's value scaled by
    the CPU probe taken right before it (a slower CPU, a longer probe, a higher value)."""
    out = []
    for rnd in sorted(a.keys() & b.keys()):
        x, y = a[rnd].get(key), b[rnd].get(key)
        if not x or not y:
            continue
        ratio = x / y
        if probe:
            px, py = a[rnd].get("probe_ms"), b[rnd].get("probe_ms")
            if not px or not py:
                continue
            ratio *= px / py
        out.append(ratio)
    return out


def _r(values: list[float]) -> str:
    m = _median(values)
    return "-" if m is None else f"{m:.2f}"


def _per_round(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values) or "-"


def _f(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _key(item: tuple[str, int]) -> tuple[int, int]:
    kind, conc = item
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else 9, conc)


def side_by_side(results: list[dict[str, Any]], meta: dict[str, Any] | None = None) -> list[str]:
    grouped = _rounds(results, meta or {})
    lines = [
        "| workload | conc | okrql req/s | PostGraphile req/s | **req/s ratio** | per round "
        "| probe-normalised | p50 ms (okrql / PostGraphile) | p99 ms (okrql / PostGraphile) "
        "| server CPU ms/req (okrql / PostGraphile) | CPU ratio "
        "| Postgres CPU ms/req (okrql / PostGraphile) | peak RSS MB (okrql / PostGraphile) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, conc in sorted(grouped, key=_key):
        ra = grouped[(kind, conc)].get("okrql", {})
        rb = grouped[(kind, conc)].get("postgraphile", {})
        a, b = summarise(ra), summarise(rb)
        rps = pair_ratios(ra, rb, "rps")
        lines.append(
            f"| {WORKLOAD_NAMES[kind]} | {conc} | {_f(a['rps'], 1)} | {_f(b['rps'], 1)} "
            f"| **{_r(rps)}** | {_per_round(rps)} "
            f"| {_r(pair_ratios(ra, rb, 'rps', probe=True))} "
            f"| {_ms(a['p50'])} / {_ms(b['p50'])} | {_ms(a['p99'])} / {_ms(b['p99'])} "
            f"| {_f(a['cpu'], 2)} / {_f(b['cpu'], 2)} "
            f"| {_r(pair_ratios(ra, rb, 'server_cpu_ms_per_req'))} "
            f"| {_f(a['pg'], 2)} / {_f(b['pg'], 2)} "
            f"| {_f(a['rss'], 0)} / {_f(b['rss'], 0)} |"
        )
    return lines


def detail(results: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| workload | conc | round | target | order | CPU probe ms | req/s | p50 ms | p99 ms "
        "| body bytes | server CPU ms/req | Postgres CPU ms/req | peak RSS MB | steal s "
        "| errors |",
        "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]

    def order(r: dict[str, Any]) -> tuple[Any, ...]:
        conc = r["conc"] if isinstance(r["conc"], int) else -1
        return (*_key((r["kind"], 0)), conc, r.get("round", 0), r.get("position", 0))

    for r in sorted(results, key=order):
        if "rps" not in r:
            cells = f"| {r['kind']} | {r['conc']} | {r.get('round', '')} | {r['target']} |"
            lines.append(f"{cells} | | | | | | | | | | {_errors(r)} |")
            continue
        lat = r["latency_us"]
        position = r.get("position")
        lines.append(
            f"| {r['kind']} | {r['conc']} | {r.get('round', 0)} | {r['target']} "
            f"| {'' if position is None else position + 1} | {r.get('probe_ms') or ''} "
            f"| {r['rps']:.1f} | {_ms(lat['p50'])} "
            f"| {_ms(lat['p99'])} | {r.get('body_bytes') or ''} "
            f"| {_num(r, 'server_cpu_ms_per_req', 2)} | {_num(r, 'pg_cpu_ms_per_req', 2)} "
            f"| {r.get('peak_rss_mb') or ''} | {r.get('steal_s', '')} | {_errors(r)} |"
        )
    return lines


def probe_summary(results: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    probes = [(r["target"], r["probe_ms"]) for r in results if r.get("probe_ms")]
    if not probes:
        legacy = meta.get("cpu_probe_ms") or {}
        if not legacy:
            return "CPU probe: not taken (server not pinned)."
        return "CPU probe (before each target; lower is faster): " + ", ".join(
            f"{t} {ms} ms" for t, ms in legacy.items()
        )
    values = [ms for _, ms in probes]
    per_target = ", ".join(
        f"{t} {_median([ms for n, ms in probes if n == t]):.0f}"
        for t in sorted({t for t, _ in probes})
    )
    return (
        f"CPU probe (a fixed Python loop on the server CPU right before every measured run; "
        f"lower is faster): {len(values)} probes, {min(values):.0f}-{max(values):.0f} ms, "
        f"median {_median(values):.0f} ms (before {per_target})."
    )


def _errors_note(results: list[dict[str, Any]]) -> str:
    bad = [r for r in results if _errors(r) != "0"]
    if not bad:
        return "No errors in any run (socket, HTTP, GraphQL, user errors, W3 write checks)."
    return f"{len(bad)} run(s) with errors or failures: see the errors column below."


HOW_TO_READ = (
    "How to read it: both servers stay up, each on its own clone of the same data; for every "
    "workload, concurrency and round the two are loaded back to back (the first alternating), "
    "so each round's okrql / PostGraphile ratio compares the same minute of this VM, whose "
    "speed drifts by up to ~1.7x between minutes. **req/s ratio** is the median of the "
    "per-round ratios (listed beside it; their spread is the noise); above 1, okrql serves more. "
    "The req/s, latency and CPU columns are medians over the rounds (peak RSS: the maximum), so "
    "okrql req/s / PostGraphile req/s need not equal the ratio exactly. The probe-normalised "
    "ratio scales each run by the CPU probe taken right before it: secondary, it only sees the "
    "server CPU. CPU ratio: the same per-round median for server CPU ms/request, below 1 okrql "
    "needs less. Trust a difference between two runs only beyond the per-round spread."
)


def render(meta: dict[str, Any], results: list[dict[str, Any]]) -> str:
    v = meta["versions"]
    rounds = (
        f"{meta['rounds']} interleaved round(s)"
        if "rounds" in meta
        else "one target after the other (not interleaved)"
    )
    lines = [
        f"Run {meta['started']} on `{meta['host']}` ({meta['cpu_model']}, {meta['cpus']} CPUs, "
        f"{meta['memory_gb']} GB, Linux {meta['kernel']}); scale {meta['scale']} "
        f"(seed {meta['seed']}); {rounds}; {meta['duration_s']} s per run "
        f"after a {meta['warmup_s']} s warm-up at concurrency {meta['warmup_conc']}; servers "
        f"on CPU {meta['pin_server']}, wrk (1 thread) and Postgres on CPU "
        f"{meta['pin_load']}/{meta['pin_pg']}."
        + (
            " PostGraphile under row-level security (`--peer-tenancy rls`)."
            if meta.get("peer_tenancy") == "rls"
            else ""
        ),
        "",
        f"Versions: okrql {v.get('okrql', '?')}"
        + (f" (source snapshot {v['okrql_source']})" if v.get("okrql_source") else "")
        + f", PostgreSQL {v.get('postgres', '?')}, "
        f"PostGraphile {v.get('postgraphile', '?')} on Node {v.get('node', '?')}, Python "
        f"{v.get('python', '?')}, strawberry-graphql {v.get('strawberry-graphql', '?')}, "
        f"graphql-core {v.get('graphql-core', '?')}, uvicorn {v.get('uvicorn', '?')}, "
        f"asyncpg {v.get('asyncpg', '?')}, wrk {v.get('wrk', '?')}.",
        "",
        probe_summary(results, meta),
        "",
        *([HOW_TO_READ, ""] if "rounds" in meta else []),
        *side_by_side(results, meta),
        "",
        _errors_note(results)
        + " Checks against the SQL reference: "
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


def scale_curve(base: dict[str, Any], big: dict[str, Any]) -> str:
    """p50 and req/s per target at two scales, for the (workload, conc) pairs of `big`."""
    m1, m2 = base["meta"], big["meta"]
    g1, g2 = _rounds(base["results"], m1), _rounds(big["results"], m2)

    def cell(g: dict[Any, Any], key: tuple[str, int], target: str, field: str) -> Any:
        rows = g.get(key, {}).get(target)
        return summarise(rows)[field] if rows else None

    def pair(x: Any, y: Any, fmt: Any) -> str:
        return f"{fmt(x)} → {fmt(y)}"

    def rps(x: float | None) -> str:
        return _f(x, 1)

    def kb(x: float | None) -> str:
        return "-" if x is None else f"{x / 1024:.0f}"

    def pg(x: float | None) -> str:
        return _f(x, 2)

    def run(m: dict[str, Any], results: list[dict[str, Any]]) -> str:
        probes = [r["probe_ms"] for r in results if r.get("probe_ms")]
        probe = f", CPU probe median {_median(probes):.0f} ms" if probes else ""
        return (
            f"scale {m['scale']:g} ({m.get('objectives', '?'):,} objectives, "
            f"{m.get('key_results', '?'):,} KRs, {m.get('check_ins', '?'):,} check-ins; run "
            f"{m['started']}, {m.get('rounds', 1)} interleaved round(s){probe})"
        )

    lines = [
        f"{run(m1, base['results'])} → {run(m2, big['results'])}. Medians per target; the "
        "ratio is the median of the rounds' okrql / PostGraphile ratios. The two runs are "
        "minutes apart on a drifting VM: compare absolute numbers with the probe in mind.",
        "",
        "| workload | conc | p50 ms okrql | p50 ms PostGraphile | req/s okrql "
        "| req/s PostGraphile | req/s ratio | Postgres CPU ms/req okrql "
        "| Postgres CPU ms/req PostGraphile | answer KB (okrql) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key in sorted(g2, key=_key):
        kind, conc = key
        ratios = []
        for g in (g1, g2):
            entry = g.get(key, {})
            ratios.append(
                _median(pair_ratios(entry.get("okrql", {}), entry.get("postgraphile", {}), "rps"))
            )
        cells = [
            pair(cell(g1, key, t, field), cell(g2, key, t, field), fmt)
            for field, fmt in (("p50", _ms), ("rps", rps))
            for t in ("okrql", "postgraphile")
        ]
        cells.append(pair(ratios[0], ratios[1], lambda x: _f(x, 2)))
        cells += [
            pair(cell(g1, key, t, "pg"), cell(g2, key, t, "pg"), pg)
            for t in ("okrql", "postgraphile")
        ]
        cells.append(pair(cell(g1, key, "okrql", "body"), cell(g2, key, "okrql", "body"), kb))
        lines.append(f"| {WORKLOAD_NAMES[kind]} | {conc} | {' | '.join(cells)} |")
    return "\n".join(lines)


def _replace(text: str, start: str, end: str, markdown: str) -> str:
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise RuntimeError(f"{README} has no {start} ... {end} markers")
    return pattern.sub(lambda _: f"{start}\n{markdown}\n{end}", text)


def update_readme(markdown: str, start: str = START, end: str = END) -> None:
    README.write_text(_replace(README.read_text(), start, end, markdown))


def main() -> None:
    """Re-render a finished run: python -m bench.report results/<run> [--update-readme];
    the scale curve: python -m bench.report --scale-curve results/<scale 1> results/<scale 10>
    [--update-readme]."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("run_dir", type=Path, nargs="?")
    ap.add_argument("--scale-curve", type=Path, nargs=2, metavar=("BASE_RUN", "SCALED_RUN"))
    ap.add_argument("--update-readme", action="store_true")
    args = ap.parse_args()

    def load(run_dir: Path) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
        return data

    if args.scale_curve:
        markdown = scale_curve(*(load(d) for d in args.scale_curve))
        print(markdown)
        if args.update_readme:
            update_readme(markdown, CURVE_START, CURVE_END)
        return
    if args.run_dir is None:
        ap.error("a run directory, or --scale-curve BASE_RUN SCALED_RUN")
    data = load(args.run_dir)
    markdown = render(data["meta"], data["results"])
    print(markdown)
    if args.update_readme:
        update_readme(markdown)


if __name__ == "__main__":
    main()
