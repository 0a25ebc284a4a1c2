"""okrql's variables: Relay global ids (base64url of "Type:id", unpadded), input objects."""

from __future__ import annotations

import base64
from typing import Any


def global_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).rstrip(b"=").decode()


def variables(kind: str, v: dict[str, Any], cursors: dict[int, list[str]]) -> dict[str, Any]:
    if kind == "w1":
        return {"cycleId": global_id("Cycle", v["cycle"])}
    if kind == "w2":
        return {"id": global_id("Objective", v["objective"])}
    if kind == "w3":
        return {
            "input": {
                "keyResultId": global_id("KeyResult", v["key_result"]),
                "value": v["value"],
                "confidence": v["confidence"],
                "comment": v["comment"],
            }
        }
    if kind == "w4":
        after = cursors[v["cycle"]][v["page"] - 1] if v["page"] > 0 else None
        return {"cycleId": global_id("Cycle", v["cycle"]), "after": after}
    raise ValueError(f"unknown workload kind {kind}")
