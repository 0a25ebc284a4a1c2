"""Deterministic OKR data set, adapted from the generator of peer-bench (the harness bench/ grew
from).

`generate(scale, seed)` makes the peer's rows with the same random sequence, so the same
(scale, seed) gives byte-identical rows here and in peer-bench and the ids are stable: cycles
1..4, objectives 1..N, key results 1..M, check-ins 1..K. Default (scale 1): 1 organisation,
20 teams, 200 users, 4 cycles, 2,000 objectives (a tree of depth up to 4 per cycle), 8,000 key
results, 80,000 check-ins; scale multiplies everything but the cycles.

The rows are in the peer's simple shape (see `PeerData`); `bench.load` maps them onto okrql's
tables. Nothing here may call now() or iterate an unordered collection.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

UTC = dt.UTC
PURPOSE = "to enable next year's expansion."
CREATED = dt.datetime(2024, 12, 1, 9, 0, tzinfo=UTC)
N_CYCLES = 4

# fmt: off
TEAM_NAMES = ["Marketing", "Sales", "Product", "Customer Success", "Engineering", "Finance",
              "People", "Design", "Data", "Support", "Legal", "Operations", "Growth",
              "Partnerships", "Security", "Platform", "Mobile", "Content", "Brand",
              "Research"]
VERBS = ["Grow", "Increase", "Reduce", "Launch", "Improve", "Win", "Expand", "Delight",
         "Öka", "Minska", "Verhoog", "Verlaag"]
THINGS = ["revenue", "qualified leads", "cost per lead", "monthly active users", "NPS",
          "churn", "activation rate", "pipeline", "brand awareness", "content reach",
          "trial conversions", "support backlog", "time to first value",
          "hiring velocity"]
UNITS = ["PERCENT", "COUNT", "CURRENCY", "CUSTOM"]
CONF = ["ON_TRACK", "ON_TRACK", "ON_TRACK", "AT_RISK", "AT_RISK", "OFF_TRACK"]
COMMENTS = [None, None, "On pace.", "Campaign launched, leads up.", "Waiting on CRM export.",
            "Blocked by the content audit 🚧", "Bättre än väntat.", "Iets achter op schema.",
            "Pipeline review done; two deals slipped to next quarter."]
# fmt: on


@dataclass(frozen=True)
class Team:
    id: int
    name: str


@dataclass(frozen=True)
class User:
    id: int
    team_id: int
    name: str
    email: str


@dataclass(frozen=True)
class Cycle:
    id: int
    name: str
    starts_on: dt.date
    ends_on: dt.date


@dataclass(frozen=True)
class Objective:
    id: int
    cycle_id: int
    parent_id: int | None
    owner_team_id: int | None
    owner_user_id: int | None
    title: str
    description: str
    status: str
    created_at: dt.datetime


@dataclass(frozen=True)
class KeyResult:
    id: int
    objective_id: int
    owner_user_id: int
    title: str
    start_value: Decimal
    target_value: Decimal
    unit: str
    weight: Decimal
    created_at: dt.datetime


@dataclass(frozen=True)
class CheckIn:
    id: int
    key_result_id: int
    author_id: int
    value: Decimal
    confidence: str
    comment: str | None
    at: dt.datetime  # the peer's created_at: okrql's measured_at and recorded_at


@dataclass(frozen=True)
class PeerData:
    teams: list[Team]
    users: list[User]
    cycles: list[Cycle]
    objectives: list[Objective]
    key_results: list[KeyResult]
    check_ins: list[CheckIn]


def generate(scale: float = 1.0, seed: int = 42) -> PeerData:
    """The peer's data set. Every `rnd` call below is in the peer's order: do not reorder."""
    rnd = random.Random(seed)
    n_teams = max(1, round(20 * scale))
    n_users = max(1, round(200 * scale))
    n_obj = max(N_CYCLES, round(2000 * scale))
    n_kr = max(n_obj, round(8000 * scale))
    n_ci = round(80000 * scale)

    teams = [Team(i, _team_name(i)) for i in range(1, n_teams + 1)]
    users = [
        User(i, (i - 1) % n_teams + 1, f"User {i:05d}", f"user{i:05d}@acme.example")
        for i in range(1, n_users + 1)
    ]
    cycles, bounds = _cycles()
    objectives = _objectives(rnd, n_obj, n_teams, n_users, bounds)
    obj_cycle = {o.id: o.cycle_id for o in objectives}

    # Key results: every objective gets at least one, the rest spread at random.
    kr_obj = sorted(
        list(range(1, n_obj + 1)) + [rnd.randint(1, n_obj) for _ in range(n_kr - n_obj)]
    )
    key_results = []
    for kid, obj in enumerate(kr_obj, start=1):
        unit = rnd.choice(UNITS)
        decrease = rnd.random() < 0.25
        start = Decimal(rnd.randint(10, 2000))
        delta = Decimal(rnd.randint(5, 1000))
        target = start - min(delta, start - 1) if decrease else start + delta
        owner = rnd.randint(1, n_users)
        title = f"{rnd.choice(['From', 'Reach', 'Hit'])} {target} {rnd.choice(THINGS)} (KR #{kid})"
        weight = Decimal(rnd.choice([1, 1, 1, 2, 3]))
        created = bounds[obj_cycle[obj]][0]
        key_results.append(KeyResult(kid, obj, owner, title, start, target, unit, weight, created))

    # Check-ins: spread at random over key results, inside the KR's cycle.
    check_ins = []
    for cid, kr in enumerate(sorted(rnd.randint(1, n_kr) for _ in range(n_ci)), start=1):
        k = key_results[kr - 1]
        lo, hi = bounds[obj_cycle[k.objective_id]]
        at = lo + dt.timedelta(seconds=rnd.randint(0, int((hi - lo).total_seconds())))
        frac = Decimal(rnd.randint(-10, 120)) / 100
        value = (k.start_value + (k.target_value - k.start_value) * frac).quantize(Decimal("0.01"))
        author = rnd.randint(1, n_users)
        check_ins.append(
            CheckIn(cid, kr, author, value, rnd.choice(CONF), rnd.choice(COMMENTS), at)
        )
    return PeerData(teams, users, cycles, objectives, key_results, check_ins)


def _team_name(i: int) -> str:
    suffix = "" if i <= len(TEAM_NAMES) else f" {(i - 1) // len(TEAM_NAMES) + 1}"
    return f"{TEAM_NAMES[(i - 1) % len(TEAM_NAMES)]}{suffix}"


def _cycles() -> tuple[list[Cycle], dict[int, tuple[dt.datetime, dt.datetime]]]:
    cycles, bounds = [], {}
    for q in range(1, N_CYCLES + 1):
        start = dt.date(2025, 3 * (q - 1) + 1, 1)
        end = dt.date(2025 + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
        cycles.append(Cycle(q, f"2025 Q{q}", start, end))
        bounds[q] = (
            dt.datetime.combine(start, dt.time(8), UTC),
            dt.datetime.combine(end, dt.time(18), UTC),
        )
    return cycles, bounds


def _objectives(
    rnd: random.Random,
    n_obj: int,
    n_teams: int,
    n_users: int,
    bounds: dict[int, tuple[dt.datetime, dt.datetime]],
) -> list[Objective]:
    """Per cycle a tree of depth up to 4: company -> department -> team -> person."""
    objectives = []
    per_cycle = [n_obj // N_CYCLES + (1 if c < n_obj % N_CYCLES else 0) for c in range(N_CYCLES)]
    oid = 0
    for c, count in enumerate(per_cycle, start=1):
        l0 = max(1, round(count * 0.01))
        l1 = max(0, round(count * 0.08))
        l2 = max(0, round(count * 0.30))
        sizes = (l0, l1, l2, count - l0 - l1 - l2)
        levels: list[list[int]] = [[], [], [], []]
        for level, size in enumerate(sizes):
            for _ in range(size):
                oid += 1
                parent = rnd.choice(levels[level - 1]) if level > 0 and levels[level - 1] else None
                owner_team: int | None
                owner_user: int | None
                if level == 0:
                    owner_team, owner_user = None, None
                elif level < 3:
                    owner_team, owner_user = rnd.randint(1, n_teams), None
                else:
                    owner_user = rnd.randint(1, n_users)
                    owner_team = (owner_user - 1) % n_teams + 1
                title = f"{rnd.choice(VERBS)} {rnd.choice(THINGS)} (L{level} #{oid})"
                desc = f"Objective {oid} of cycle {c}: {title.lower()} {PURPOSE}"
                status = "ACTIVE" if rnd.random() < 0.9 else rnd.choice(["DRAFT", "CLOSED"])
                objectives.append(
                    Objective(
                        oid, c, parent, owner_team, owner_user, title, desc, status, bounds[c][0]
                    )
                )
                levels[level].append(oid)
    return objectives
