"""Bring any server's answer (and the SQL reference) to one comparable shape.

- `{nodes: [...]}` becomes the list; lists of entities are compared in id order (the
  workloads fix no order for them) except `checkIns`, whose order (newest first) is the point;
- `edges` becomes the list of nodes in the order served; cursors are dropped (opaque, each
  server its own) and `pageInfo` keeps `hasNextPage`;
- `{"user": X}`, `{"parent": X}`, `{"child": X}` become X: PostGraphile reaches people through
  membership and parents/children through alignment rows, one object deeper than okrql;
- ids become integers (okrql's global ids are decoded, PostGraphile's row ids parsed);
- decimals (okrql: strings; PostGraphile: BigFloat strings or Float) become floats, timestamps
  UTC instants, so "1.50" == 1.5 and "...+00:00" == "...Z";
- a key result's null `currentValue` (never measured) becomes its `startValue`, which okrql
  answers for it.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from typing import Any

DECIMAL_KEYS = frozenset(
    {"startValue", "currentValue", "targetValue", "weight", "value", "progress"}
)
TIME_KEYS = frozenset({"createdAt", "measuredAt"})
UNWRAP_KEYS = frozenset({"user", "parent", "child"})
ORDERED_LISTS = frozenset({"checkIns"})
FLOAT_TOLERANCE = 1e-3


def entity_id(value: Any) -> int:
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdigit():
        return int(text)
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    return int(raw.rpartition(":")[2])


def normalize(x: Any, key: str | None = None) -> Any:
    if isinstance(x, dict):
        return _normalize_dict(x, key)
    if isinstance(x, list):
        return [normalize(v, key) for v in x]
    if x is None:
        return None
    if key == "id":
        return entity_id(x)
    if key in DECIMAL_KEYS:
        return float(x)
    if key in TIME_KEYS:
        t = x if isinstance(x, dt.datetime) else dt.datetime.fromisoformat(str(x))
        return t.astimezone(dt.UTC).isoformat()
    if isinstance(x, dt.date):
        return x.isoformat()
    return x


def _normalize_dict(x: dict[str, Any], key: str | None) -> Any:
    if set(x) == {"nodes"}:
        nodes = [normalize(n) for n in x["nodes"]]
        if key in ORDERED_LISTS:
            return nodes
        return sorted(nodes, key=lambda n: n["id"] if isinstance(n, dict) else 0)
    if len(x) == 1 and next(iter(x)) in UNWRAP_KEYS:
        return normalize(next(iter(x.values())), key)
    out = {}
    for k, v in x.items():
        if k == "edges":
            out[k] = [normalize(edge.get("node", edge)) for edge in v or []]
        elif k == "pageInfo":
            out[k] = {"hasNextPage": (v or {}).get("hasNextPage")}
        elif k != "cursor":
            out[k] = normalize(v, k)
    if out.get("currentValue", 0) is None and out.get("startValue") is not None:
        # okrql's rule (docs/domain-rules.md): before the first check-in the current value is
        # the start. The peer and the reference leave it null; the meaning is the same.
        out["currentValue"] = out["startValue"]
    return out


def diff(a: Any, b: Any, path: str = "$") -> str | None:
    """The first difference between two normalised answers, or None."""
    if isinstance(a, float) and isinstance(b, float):
        return None if math.isclose(a, b, abs_tol=FLOAT_TOLERANCE) else f"{path}: {a} != {b}"
    if type(a) is not type(b):
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: missing on one side"
            d = diff(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = diff(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} != {b!r}"
