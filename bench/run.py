"""okrql vs PostGraphile, same data, same machine, same run: the one bench command.

    .venv/bin/python -m bench.run [--only postgraphile] [--quick] [--scale 10]
        [--workloads w1,w2,w3,w4] [--conc 1,16,64] [--conc-for w1=1] [--rounds 2]
        [--duration 20] [--warmup 5] [--check-only] [--update-readme] [--out DIR]

1. tooling: wrk (apt), Node 22 in bench/.venv-node, `npm ci` of the pinned PostGraphile;
2. data: the template database (alembic upgrade head, deterministic COPY, derived columns,
   PostGraphile's functions, VACUUM ANALYZE), rebuilt only when its inputs change, and one
   clone of it per server;
3. both servers started (each pinned to the server CPU; the idle one costs nothing) and
   checked for correctness; then per workload (reads first, W3 last) a warm-up of each, and R
   rounds in which, per concurrency, the targets are loaded back to back, the first one
   alternating (so both see the same minute of this VM's drifting speed), a CPU probe before
   every measured run; W3's round r > 0 runs on a second server per target, on a fresh clone
   of its own, started with the others (same code, no restart), so every round starts from
   the same data on both sides;
4. the answers of the two servers compared with each other, results written to
   bench/results/<time>/ (results.json, results.md, wrk outputs, server logs) and printed:
   medians over the rounds, okrql / PostGraphile ratios per round and their median.
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
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from bench import (
    environment,
    load,
    loadgen,
    procs,
    reference,
    report,
    snapshot,
    tooling,
    writes,
)
from bench.check import CheckOutcome, check_reads, check_write, compare_answers
from bench.config import RESULTS_DIR, DatabaseConfig, admin_url_from_env
from bench.loadgen import N_VARIABLES
from bench.measure import describe, measure
from bench.servers import Server, ServerError
from bench.targets import KINDS, PEER_TENANCIES, Target, all_targets, target_on

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
    ap.add_argument(
        "--conc-for",
        action="append",
        default=[],
        metavar="KIND=LIST",
        help="concurrencies of one workload, e.g. w1=1 (repeatable)",
    )
    ap.add_argument("--rounds", type=int, help="interleaved rounds (default 2; --quick 1)")
    ap.add_argument("--duration", type=int, default=20, help="seconds per measured run")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up seconds per workload")
    ap.add_argument("--warmup-conc", type=int, default=16)
    ap.add_argument("--quick", action="store_true", help="about 3 minutes: c1,16; 5 s runs")
    ap.add_argument("--scale", type=float, default=1.0, help="data scale (10 = 10x data)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--pin-server", default="1", help="CPU for the servers, or 'none'")
    ap.add_argument("--pin-load", default="0", help="CPU for wrk, or 'none'")
    ap.add_argument("--pin-pg", default="0", help="CPU for Postgres, or 'none'")
    ap.add_argument(
        "--peer-tenancy",
        choices=PEER_TENANCIES,
        default="none",
        help="rls: PostGraphile binds the organisation and runs under row-level security",
    )
    ap.add_argument("--check-only", action="store_true", help="correctness checks, no load")
    ap.add_argument("--update-readme", action="store_true", help="put the table in README.md")
    ap.add_argument("--out", type=Path, help="results directory (default results/<time>)")
    args = ap.parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    if args.rounds is None:
        args.rounds = 1 if args.quick else 2
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")
    return args


def _cpu(value: str) -> int | None:
    return None if value == "none" else int(value)


def _concs(text: str) -> list[int]:
    return [int(c) for c in text.split(",") if c]


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # Unwind through the finally blocks: servers stopped, Postgres' affinity restored.
    raise SystemExit(128 + signum)


@dataclass
class Instance:
    """One server of a target on its own clone: the first serves the reads and W3's first
    round; the one of index r serves W3's round r. All start together at the beginning, from
    the same code, so no restart is needed to give every W3 round the same starting data."""

    target: Target  # its port and DATABASE_URL
    server: Server
    database: str


@dataclass
class Live:
    """A target taking part in the run: its servers, its check and its request files."""

    name: str
    instances: list[Instance]
    outcome: CheckOutcome = field(default_factory=CheckOutcome)
    files: dict[str, tuple[Path, Path]] = field(default_factory=dict)
    failed: str | None = None  # why it stopped taking part

    @property
    def target(self) -> Target:
        return self.instances[0].target

    def instance(self, kind: str, rnd: int) -> Instance:
        return self.instances[rnd] if kind == "w3" else self.instances[0]


class Bench:
    def __init__(self, args: argparse.Namespace, cfg: DatabaseConfig, outdir: Path) -> None:
        self.args = args
        self.cfg = cfg
        self.outdir = outdir
        self.kinds = [k for k in KINDS if k in args.workloads.split(",")]
        self.concs = _concs(args.conc)
        self.conc_for: dict[str, list[int]] = {}
        for item in args.conc_for:
            kind, _, values = item.partition("=")
            self.conc_for[kind.strip()] = _concs(values)
        self.rounds: int = args.rounds
        self.pin_server = _cpu(args.pin_server)
        self.pin_load = _cpu(args.pin_load)
        self.results: list[dict[str, Any]] = []
        self.outcomes: dict[str, CheckOutcome] = {}
        self.meta: dict[str, Any] = {}
        self.postgres: procs.Postgres | None = None
        self.ref: reference.Reference | None = None
        self.shape: loadgen.DataShape | None = None

    def concs_for(self, kind: str) -> list[int]:
        return self.conc_for.get(kind, self.concs)

    def run(self, targets: list[Target]) -> None:
        data_dir = environment.postgres_info(self.cfg.admin_url)[1]
        if data_dir and Path(data_dir, "postmaster.pid").exists():
            self.postgres = procs.Postgres(data_dir)
        else:
            print("  Postgres is not local or not readable: not pinned, its CPU not counted")
        live = [self.live(t) for t in targets]
        try:
            if self.postgres and (pg_cpu := _cpu(self.args.pin_pg)) is not None:
                self.postgres.pin({pg_cpu})
            self.prepare(live)
            self.start(live)
            self.check(live)
            self.save()
            for index, kind in enumerate(self.kinds):
                self.run_kind(index, kind, live)
                self.save()
        finally:
            for player in live:
                for inst in player.instances:
                    inst.server.stop()
            if self.postgres:
                self.postgres.restore()
            for player in live:
                self.meta.setdefault("checks", {})[player.name] = self.verdict(player)

    # -- set-up ---------------------------------------------------------------------------

    def sample_objectives(self, n_objectives: int) -> list[int]:
        """W2 check sample: the first roots (the most children) and ids across the range."""
        spread = {max(1, round(n_objectives * f)) for f in (0.05, 0.25, 0.5, 0.75, 1.0)}
        return sorted({1, 2, 3, 4, 5, *spread})

    def live(self, target: Target) -> Live:
        """The target's servers: one, or one per W3 round (ports +10, +20, ...)."""
        n = self.rounds if "w3" in self.kinds and not self.args.check_only else 1
        instances = []
        for i in range(n):
            suffix = "" if i == 0 else f"_w3r{i}"
            database = self.cfg.database(target.name + suffix)
            replica = target_on(target, self.cfg.url_for(target.name + suffix), 10 * i)
            log = self.outdir / f"{target.name}{suffix.replace('_', '.')}.server.log"
            instances.append(Instance(replica, Server(replica, self.pin_server, log), database))
        return Live(target.name, instances)

    def prepare(self, live: list[Live]) -> None:
        """A fresh clone per server; the reference and the data shape from one of them."""
        for player in live:
            for inst in player.instances:
                asyncio.run(load.reset(self.cfg, inst.database))
        url = live[0].target.database_url
        n_objectives = self.meta["objectives"]
        self.ref = asyncio.run(
            reference.build(url, self.meta["cycles"], self.sample_objectives(n_objectives))
        )
        self.shape = loadgen.DataShape(
            cycles=self.meta["cycles"],
            objectives=n_objectives,
            writable_key_results=writes.writable_key_results(url),
            deep_pages={c: loadgen.deep_pages(len(p)) for c, p in self.ref.w4.items()},
        )

    def start(self, live: list[Live]) -> None:
        """Start every server, then wait for each (they start side by side)."""
        for player in live:
            try:
                for inst in player.instances:
                    inst.server.start()
            except ServerError as exc:
                self.fail(player, str(exc))
        for player in self.up(live):
            try:
                for inst in player.instances:
                    inst.server.wait_ready()
                rss = procs.memory_mb(player.instances[0].server.pid)
                self.meta.setdefault("rss_at_start_mb", {})[player.name] = rss
            except ServerError as exc:
                self.fail(player, str(exc))

    def check(self, live: list[Live]) -> None:
        assert self.ref is not None
        assert self.shape is not None
        for player in self.up(live):
            print(f"== check {player.name}: {player.target.label}", flush=True)
            try:
                player.outcome = check_reads(player.target, self.ref, set(self.kinds))
            except Exception as exc:
                # A harness error on one target (an answer of an unexpected shape, say) must
                # not lose the other target's numbers; the traceback says where it happened.
                traceback.print_exc()
                self.fail(player, f"harness error: {exc!r}")
                continue
            self.outcomes[player.name] = player.outcome
        for kind in self.kinds:
            logical = loadgen.logical_variables(kind, self.shape, self.args.seed, N_VARIABLES)
            for player in self.up(live):
                player.files[kind] = loadgen.write_request_files(
                    player.target, kind, logical, player.outcome.cursors, self.outdir
                )

    @staticmethod
    def up(live: list[Live]) -> list[Live]:
        return [p for p in live if p.failed is None]

    def fail(self, player: Live, reason: str) -> None:
        print(f"  {player.name}: {reason}", flush=True)
        player.failed = reason
        for inst in player.instances:
            inst.server.stop()

    def verdict(self, player: Live) -> str:
        if player.failed and not player.outcome.answers:
            return f"did not run: {player.failed}"
        problems = player.outcome.problems
        text = "OK" if not problems else f"{len(problems)} problem(s), first: {problems[0]}"
        return text + (f"; stopped: {player.failed}" if player.failed else "")

    def not_loaded(self, player: Live, kind: str) -> None:
        print(f"  {player.name} {kind}: not loaded, the server cannot answer it", flush=True)
        self.results.append(
            {
                "target": player.name,
                "kind": kind,
                "conc": "-",
                "error": "not answered (see the check)",
            }
        )

    # -- the interleaved load -------------------------------------------------------------

    def run_kind(self, index: int, kind: str, live: list[Live]) -> None:
        players = []
        for player in self.up(live):
            if kind in player.outcome.failed_kinds:
                self.not_loaded(player, kind)
            else:
                players.append(player)
        for rnd in range(self.rounds):
            if kind == "w3":  # each round on its own servers and fresh clones
                players = self.write_checks(players, rnd)
            if self.args.check_only or not players:
                return
            # The first target alternates from round to round for the same workload and
            # concurrency, and from one concurrency (and workload) to the next.
            first = (index + rnd) % len(players)
            if rnd == 0 or kind == "w3":
                for player in players[first:] + players[:first]:
                    self.warm_up(player, player.instance(kind, rnd), kind)
            for ci, conc in enumerate(self.concs_for(kind)):
                first = (index + rnd + ci) % len(players)
                order = players[first:] + players[:first]
                for position, player in enumerate(order):
                    self.measured_run(player, player.instance(kind, rnd), kind, conc, rnd, position)
                players = [p for p in players if self.still_running(p, kind)]

    def still_running(self, player: Live, kind: str) -> bool:
        for inst in player.instances:
            proc = inst.server.proc
            if proc is not None and proc.poll() is not None:
                self.fail(player, f"server exited during {kind}; see {inst.server.log_file}")
                return False
        return True

    def write_checks(self, players: list[Live], rnd: int) -> list[Live]:
        """One verified check-in per server, on the same KR, right before a W3 round."""
        assert self.shape is not None
        kr = self.shape.writable_key_results[0]
        kept = []
        for player in players:
            target = player.instance("w3", rnd).target
            problems = check_write(target, target.database_url, kr)
            print(f"  {player.name} write check (round {rnd}): {problems or 'OK'}", flush=True)
            if problems:
                player.outcome.problems += problems
                player.outcome.failed_kinds.add("w3")
                self.not_loaded(player, "w3")
            else:
                kept.append(player)
        return kept

    def warm_up(self, player: Live, inst: Instance, kind: str) -> None:
        if self.args.warmup <= 0:
            return
        row = measure(
            inst.target,
            inst.server.pid,
            None,
            kind,
            player.files[kind],
            self.args.warmup_conc,
            self.args.warmup,
            self.pin_load,
            self.outdir / f"{player.name}.{kind}.warmup.json",
            inst.target.database_url,
        )
        text = describe(row).replace(f"{kind} c=", f"{kind} warm-up c=")
        print(f"  {player.name:>12}{text}", flush=True)

    def measured_run(
        self, player: Live, inst: Instance, kind: str, conc: int, rnd: int, position: int
    ) -> None:
        probe = procs.cpu_probe_ms(self.pin_server) if self.pin_server is not None else None
        row = measure(
            inst.target,
            inst.server.pid,
            self.postgres,
            kind,
            player.files[kind],
            conc,
            self.args.duration,
            self.pin_load,
            self.outdir / f"{player.name}.{kind}.r{rnd}.c{conc}.json",
            inst.target.database_url,
        )
        row.update(round=rnd, position=position, probe_ms=probe)
        sizes = player.outcome.body_bytes.get(kind)
        if sizes and "error" not in row:
            row["body_bytes"] = sum(sizes) // len(sizes)
        self.results.append(row)
        print(f"  {player.name:>12} r{rnd} probe {probe} ms{describe(row)}", flush=True)

    # -- results --------------------------------------------------------------------------

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
    names = args.only.split(",") if args.only else ["postgraphile", "okrql"]
    unknown = set(names) - {"postgraphile", "okrql"}
    if unknown:
        sys.exit(f"unknown target(s) {sorted(unknown)}; have okrql, postgraphile")
    src = snapshot.take()
    try:
        return run(args, cfg, names, src)
    finally:
        snapshot.remove(src)


def run(args: argparse.Namespace, cfg: DatabaseConfig, names: list[str], src: Path) -> int:
    targets_by_name = all_targets(cfg.url_for, src, args.peer_tenancy)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    outdir = args.out or RESULTS_DIR / stamp
    outdir.mkdir(parents=True, exist_ok=True)

    print("== tooling and data", flush=True)
    tooling.ensure_all(need_node="postgraphile" in names)
    asyncio.run(load.ensure_template(cfg, src))
    bench = Bench(args, cfg, outdir)
    bench.meta.update(environment.describe(cfg.admin_url))
    bench.meta["versions"]["okrql_source"] = snapshot.digest(src)
    bench.meta.update(
        scale=args.scale,
        seed=args.seed,
        peer_tenancy=args.peer_tenancy,
        duration_s=args.duration,
        warmup_s=args.warmup,
        warmup_conc=args.warmup_conc,
        conc=bench.concs,
        conc_for=bench.conc_for,
        rounds=bench.rounds,
        databases={n: cfg.database(n) for n in names},
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
    if args.update_readme and args.scale != 1:
        print(
            "not written to README.md: its table is for scale 1; for the scale curve run\n"
            f"  python -m bench.report --scale-curve results/<scale-1 run> {outdir}"
            " --update-readme"
        )
    elif args.update_readme:
        report.update_readme(markdown)
        print(f"updated: {report.README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
