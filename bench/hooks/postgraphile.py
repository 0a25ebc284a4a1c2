"""PostGraphile's variables: row ids (BigInt) and flat mutation arguments; the organisation id
is a literal in its documents (okrql takes it from the request context)."""

from __future__ import annotations

from typing import Any


def variables(kind: str, v: dict[str, Any], cursors: dict[int, list[str]]) -> dict[str, Any]:
    if kind == "w1":
        return {"cycleId": str(v["cycle"])}
    if kind == "w2":
        return {"id": str(v["objective"])}
    if kind == "w3":
        return {
            "keyResultId": str(v["key_result"]),
            "value": v["value"],
            "confidence": v["confidence"],
            "comment": v["comment"],
        }
    if kind == "w4":
        after = cursors[v["cycle"]][v["page"] - 1] if v["page"] > 0 else None
        return {"cycleId": str(v["cycle"]), "after": after}
    raise ValueError(f"unknown workload kind {kind}")
