"""Correctness before load: a server must serve the reference content, or its numbers mean little.

`check_reads` sends W1 for every cycle, W2 for a sample of objectives and W4 for every page of
every cycle (which also collects the server's own cursors for the W4 load), normalises each
answer and compares it with bench.reference. `check_write` records one check-in and verifies
the answer and the rows it moved. The normalised answers are kept so that two servers can be
compared with each other as well (`compare_answers`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bench import writes
from bench.normalize import diff, normalize
from bench.reference import Reference
from bench.servers import graphql
from bench.targets import OPERATIONS, Target

MAX_PROBLEMS_SHOWN = 8


@dataclass
class CheckOutcome:
    problems: list[str] = field(default_factory=list)
    answers: dict[str, Any] = field(default_factory=dict)  # "w1 cycle=1" -> normalised answer
    cursors: dict[int, list[str]] = field(default_factory=dict)  # W4 end cursors per cycle
    body_bytes: dict[str, list[int]] = field(default_factory=dict)
    # Kinds a server could not answer (HTTP or GraphQL errors): loading them measures nothing.
    failed_kinds: set[str] = field(default_factory=set)


def _ask(
    target: Target,
    kind: str,
    logical: dict[str, Any],
    cursors: dict[int, list[str]],
    outcome: CheckOutcome,
    label: str,
) -> dict[str, Any] | None:
    status, raw = graphql(
        target, kind, target.hooks.variables(kind, logical, cursors), OPERATIONS[kind]
    )
    outcome.body_bytes.setdefault(kind, []).append(len(raw))
    if status != 200:
        outcome.problems.append(f"{label}: HTTP {status}: {raw[:200]!r}")
        outcome.failed_kinds.add(kind)
        return None
    answer = json.loads(raw)
    if answer.get("errors"):
        outcome.problems.append(f"{label}: errors {json.dumps(answer['errors'])[:300]}")
        outcome.failed_kinds.add(kind)
        return None
    data: dict[str, Any] = answer["data"]
    return data


def _compare(outcome: CheckOutcome, label: str, data: dict[str, Any], expected: Any) -> None:
    got = normalize(data)
    outcome.answers[label] = got
    d = diff(got, normalize(expected))
    if d:
        outcome.problems.append(f"{label}: differs from the reference at {d}")


def check_reads(target: Target, ref: Reference, kinds: set[str]) -> CheckOutcome:
    outcome = CheckOutcome()
    if "w1" in kinds:
        for cycle, expected in ref.w1.items():
            label = f"w1 cycle={cycle}"
            data = _ask(target, "w1", {"cycle": cycle}, {}, outcome, label)
            if data is not None:
                _compare(outcome, label, data, expected)
    if "w2" in kinds:
        for oid, expected in ref.w2.items():
            label = f"w2 objective={oid}"
            data = _ask(target, "w2", {"objective": oid}, {}, outcome, label)
            if data is not None:
                _compare(outcome, label, data, expected)
    if "w4" in kinds:
        for cycle, pages in ref.w4.items():
            _check_pages(target, cycle, pages, outcome)
    _report(target, outcome)
    return outcome


def _check_pages(target: Target, cycle: int, pages: list[Any], outcome: CheckOutcome) -> None:
    """Page through the whole list once (bounded by the reference's page count)."""
    cursors = outcome.cursors.setdefault(cycle, [])
    for page, expected in enumerate(pages):
        label = f"w4 cycle={cycle} page={page}"
        data = _ask(target, "w4", {"cycle": cycle, "page": page}, outcome.cursors, outcome, label)
        if data is None:
            return
        _compare(outcome, label, data, expected)
        end_cursor = data["objectives"]["pageInfo"]["endCursor"]
        if not end_cursor:
            outcome.problems.append(f"{label}: no endCursor")
            return
        cursors.append(end_cursor)


def check_write(target: Target, db_url: str, key_result: int) -> list[str]:
    """One check-in through the W3 document; the answer and the moved rows must agree."""
    logical = {
        "key_result": key_result,
        "value": "1234.56",
        "confidence": "AT_RISK",
        "comment": "bench write check",
    }
    outcome = CheckOutcome()
    data = _ask(target, "w3", logical, {}, outcome, "w3")
    if data is None:
        return outcome.problems
    payload = normalize(next(iter(data.values())))
    if payload.get("userErrors"):
        return [f"w3: userErrors {payload['userErrors']}"]
    check_in = payload.get("checkIn") or {}
    # okrql answers the KR beside the check-in, PostGraphile through it.
    key_result_answer = payload.get("keyResult") or check_in.get("keyResult") or {}
    problems = []
    if check_in.get("value") != 1234.56 or key_result_answer.get("currentValue") != 1234.56:
        problems.append(f"w3: answer does not show the new value: {payload}")
    problems += writes.verify_probe(db_url, key_result, check_in.get("id"))
    return problems


def compare_answers(a: CheckOutcome, b: CheckOutcome) -> list[str]:
    """Differences between two servers' normalised answers to the same requests."""
    problems = []
    for label in sorted(set(a.answers) & set(b.answers)):
        d = diff(a.answers[label], b.answers[label])
        if d:
            problems.append(f"{label}: {d}")
    return problems


def _report(target: Target, outcome: CheckOutcome) -> None:
    for kind, sizes in sorted(outcome.body_bytes.items()):
        mean = sum(sizes) // len(sizes)
        print(f"  {kind}: {len(sizes)} answers checked, {mean} bytes on average")
    verdict = "OK" if not outcome.problems else f"{len(outcome.problems)} problem(s)"
    print(f"  check {target.name}: {verdict}", flush=True)
    for p in outcome.problems[:MAX_PROBLEMS_SHOWN]:
        print("   -", p, flush=True)
