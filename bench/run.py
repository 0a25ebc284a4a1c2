"""okrql vs PostGraphile, same data, same machine, same run: the one bench command.

    .venv/bin/python -m bench.run [--only postgraphile] [--quick] [--scale 10]
        [--workloads w1,w2,w3,w4] [--conc 1,16,64] [--duration 20] [--warmup 5]
        [--check-only] [--update-readme] [--out DIR]

1. tooling: wrk (apt), Node 22 in bench/.venv-node, `npm ci` of the pinned PostGraphile;
2. data: the template database (alembic upgrade head, deterministic COPY, derived columns,
   PostGraphile's functions, VACUUM ANALYZE), rebuilt only when its inputs change;
3. per target: a fresh clone of the template, the server started pinned to its CPU, the
   correctness check, then per workload a warm-up and one wrk run per concurrency (reads
   first, W3 last), CPU and peak memory accounted; the server stopped;
4. the answers of the two servers compared with each other, results written to
   bench/results/<time>/ (results.json, results.md, wrk outputs, server logs) and printed.
Postgres is pinned to the load CPU for the run and given its affinity back at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import signal
import sys
import traceback
from pathlib import Path
from types import FrameType
from typing import Any

from bench import environment, load, loadgen, procs, reference, report, tooling, writes
from bench.check import CheckOutcome, check_reads, check_write, compare_answers
from bench.config import RESULTS_DIR, DatabaseConfig, admin_url_from_env
from bench.measure import describe, measure
from bench.servers import Server, ServerError
from bench.targets import KINDS, Target, all_targets

QUICK = {"conc": "1,16", "duration": 5, "warmup": 2}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("--only", help="comma-separated targets (default: postgraphile,okrql)")
    ap.add_argument("--workloads", default=",".join(KINDS), help="comma-separated w1..w4")
    ap.add_argument("--conc", default="1,16,64", help="concurrencies (64 = overload)")
    ap.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up seconds per workload")
    ap.add_argument("--warmup-conc", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="about 3 minutes: c1,16; 5 s runs")
    ap.add_argument("--scale", type=float, default=1.0, help="data scale (10 = 10x data)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pin-server", default="1", help="CPU for the server, or 'none'")
    ap.add_argument("--pin-load", default="0", help="CPU for wrk, or 'none'")
    ap.add_argument("--pin-pg", default="0", help="CPU for Postgres, or 'none'")
    ap.add_argument("--check-only", action="store_true", help="correctness checks, no load")
    ap.add_argument("--update-readme", action="store_true", help="put the table in README.md")
    ap.add_argument("--out", type=Path, help="results directory (default results/<time>)")
    args = ap.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    return args


def _cpu(value: str) -> int | None:
    return None if value == "none" else int(value)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwind through the finally blocks: servers stopped, Postgres' affinity restored.
    raise SystemExit(128 + signum)


class Bench:
    def __init__(self, args: argparse.Namespace, cfg: DatabaseConfig, outdir: Path) -> None:
        self.args = args
        self.cfg = cfg
        self.outdir = outdir
        self.kinds = [k for k in KINDS if k in args.workloads.split(",")]
        self.concs = [int(c) for c in args.conc.split(",")]
        self.results: list[dict[str, Any]] = []
        self.outcomes: dict[str, CheckOutcome] = {}
        self.meta: dict[str, Any] = {}
        self.postgres: procs.Postgres | None = None

    def run(self, targets: list[Target]) -> None:
        data_dir = environment.postgres_info(self.cfg.admin_url)[1]
        if data_dir and Path(data_dir, "postmaster.pid").exists():
            self.postgres = procs.Postgres(data_dir)
        else:
            print("  Postgres is not local or not readable: not pinned, its CPU not counted")
        try:
            if self.postgres and (pg_cpu := _cpu(self.args.pin_pg)) is not None:
                self.postgres.pin({pg_cpu})
            for target in targets:
                self.run_target(target)
                self.save()
        finally:
            if self.postgres:
                self.postgres.restore()

    def sample_objectives(self, n_objectives: int) -> list[int]:
        """W2 check sample: the first roots (the most children) and ids across the range."""
        spread = {max(1, round(n_objectives * f)) for f in (0.05, 0.25, 0.5, 0.75, 1.0)}
        return sorted({1, 2, 3, 4, 5, *spread})

    def run_target(self, target: Target) -> None:
        print(f"== {target.name}: {target.label}", flush=True)
        asyncio.run(load.reset(self.cfg))
        n_objectives = self.meta["objectives"]
        ref = asyncio.run(
            reference.build(self.cfg.url, self.meta["cycles"], self.sample_objectives(n_objectives))
        )
        shape = loadgen.DataShape(
            cycles=self.meta["cycles"],
            objectives=n_objectives,
            writable_key_results=writes.writable_key_results(self.cfg.url),
            deep_pages={c: loadgen.deep_pages(len(pages)) for c, pages in ref.w4.items()},
        )
        pin_server = _cpu(self.args.pin_server)
        if pin_server is not None:
            self.meta.setdefault("cpu_probe_ms", {})[target.name] = procs.cpu_probe_ms(pin_server)
        server = Server(target, pin_server, self.outdir / f"{target.name}.server.log")
        try:
            server.start()
            server.wait_ready()
            self.meta.setdefault("rss_at_start_mb", {})[target.name] = procs.memory_mb(server.pid)
            outcome = check_reads(target, ref, set(self.kinds))
            self.outcomes[target.name] = outcome
            for kind in self.kinds:
                if kind == "w3":
                    # The write check right before W3's load, after every read was measured.
                    problems = check_write(target, self.cfg.url, shape.writable_key_results[0])
                    outcome.problems += problems
                    if problems:
                        outcome.failed_kinds.add(kind)
                    print(f"  write check: {problems or 'OK'}", flush=True)
                if kind in outcome.failed_kinds:
                    print(f"  {kind}: not loaded, the server cannot answer it yet", flush=True)
                    self.results.append(
                        {
                            "target": target.name,
                            "kind": kind,
                            "conc": "-",
                            "error": "not answered (see the check)",
                        }
                    )
                elif not self.args.check_only:
                    self.load_workload(target, server, kind, shape, outcome)
            problems = outcome.problems
            self.meta.setdefault("checks", {})[target.name] = (
                "OK" if not problems else f"{len(problems)} problem(s), first: {problems[0]}"
            )
        except ServerError as exc:
            print(f"  {exc}", flush=True)
            self.meta.setdefault("checks", {})[target.name] = f"did not run: {exc}"
        except Exception as exc:
            # A harness error on one target (an answer of an unexpected shape, say) must not
            # lose the other target's numbers; the traceback says where it happened.
            traceback.print_exc()
            self.meta.setdefault("checks", {})[target.name] = f"harness error: {exc!r}"
        finally:
            server.stop()

    def load_workload(
        self,
        target: Target,
        server: Server,
        kind: str,
        shape: loadgen.DataShape,
        outcome: CheckOutcome,
    ) -> None:
        logical = loadgen.logical_variables(kind, shape, self.args.seed, loadgen.N_VARIABLES)
        files = loadgen.write_request_files(target, kind, logical, outcome.cursors, self.outdir)
        sizes = outcome.body_bytes.get(kind)
        tag = self.outdir / f"{target.name}.{kind}"
        if self.args.warmup > 0:
            warm = measure(
                target,
                server.pid,
                None,
                kind,
                files,
                self.args.warmup_conc,
                self.args.warmup,
                _cpu(self.args.pin_load),
                tag.with_suffix(".warmup.json"),
                self.cfg.url,
            )
            print(describe(warm).replace(f"{kind} c=", f"{kind} warm-up c="), flush=True)
        for conc in self.concs:
            row = measure(
                target,
                server.pid,
                self.postgres,
                kind,
                files,
                conc,
                self.args.duration,
                _cpu(self.args.pin_load),
                tag.with_suffix(f".c{conc}.json"),
                self.cfg.url,
            )
            if sizes:
                row["body_bytes"] = sum(sizes) // len(sizes)
            self.results.append(row)
            print(describe(row), flush=True)

    def compare_targets(self) -> None:
        if {"okrql", "postgraphile"} <= self.outcomes.keys():
            problems = compare_answers(self.outcomes["okrql"], self.outcomes["postgraphile"])
            n = len(self.outcomes["okrql"].answers)
            verdict = "identical" if not problems else f"{len(problems)} differ: {problems[:3]}"
            self.meta["okrql_vs_postgraphile_answers"] = f"{n} answers compared, {verdict}"
            print(f"okrql vs PostGraphile answers: {self.meta['okrql_vs_postgraphile_answers']}")

    def save(self) -> str:
        markdown = report.render(self.meta, self.results)
        (self.outdir / "results.md").write_text(markdown + "\n")
        (self.outdir / "results.json").write_text(
            json.dumps({"meta": self.meta, "results": self.results}, indent=1, default=str)
        )
        return markdown


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    cfg = DatabaseConfig(admin_url_from_env(), scale=args.scale, seed=args.seed)
    targets_by_name = all_targets(cfg.url)
    names = args.only.split(",") if args.only else list(targets_by_name)
    unknown = set(names) - targets_by_name.keys()
    if unknown:
        sys.exit(f"unknown target(s) {sorted(unknown)}; have {sorted(targets_by_name)}")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = args.out or RESULTS_DIR / stamp
    outdir.mkdir(parents=True, exist_ok=True)

    print("== tooling and data", flush=True)
    tooling.ensure_all(need_node="postgraphile" in names)
    asyncio.run(load.ensure_template(cfg))
    bench = Bench(args, cfg, outdir)
    bench.meta.update(environment.describe(cfg.admin_url))
    bench.meta.update(
        scale=args.scale,
        seed=args.seed,
        duration_s=args.duration,
        warmup_s=args.warmup,
        warmup_conc=args.warmup_conc,
        conc=bench.concs,
        pin_server=args.pin_server,
        pin_load=args.pin_load,
        pin_pg=args.pin_pg,
        argv=sys.argv,
        **asyncio.run(load.data_shape(cfg)),
    )
    bench.run([targets_by_name[n] for n in names])
    bench.compare_targets()
    markdown = bench.save()
    print()
    print(markdown)
    print(f"\nwritten: {outdir}/results.md, results.json")
    if args.update_readme:
        report.update_readme(markdown)
        print(f"updated: {report.README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
