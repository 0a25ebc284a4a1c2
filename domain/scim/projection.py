"""`attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): which attributes a response
carries. `id` and `schemas` are always returned."""

from __future__ import annotations

from typing import Any

ALWAYS = frozenset({"id", "schemas"})


def _names(text: str | list[str] | None, schema_id: str) -> list[tuple[str, str | None]]:
    if not text:
        return []
    parts = text.split(",") if isinstance(text, str) else text
    prefix = schema_id.lower() + ":"
    names = []
    for part in parts:
        name = part.strip().lower()
        if name.startswith(prefix):
            name = name[len(prefix) :]
        if name:
            top, _, sub = name.partition(".")
            names.append((top, sub or None))
    return names


def _only(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_only(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() in subs}
    return value


def _without(value: Any, subs: set[str]) -> Any:
    if isinstance(value, list):
        return [_without(v, subs) for v in value]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k.lower() not in subs}
    return value


def project(
    resource: dict[str, Any],
    attributes: str | list[str] | None,
    excluded: str | list[str] | None,
    schema_id: str,
) -> dict[str, Any]:
    """The resource with only the attributes asked for, or without the excluded ones."""
    wanted = _names(attributes, schema_id)
    if wanted:
        whole = {top for top, sub in wanted if sub is None} | ALWAYS
        partial: dict[str, set[str]] = {}
        for top, sub in wanted:
            if sub is not None and top not in whole:
                partial.setdefault(top, set()).add(sub)
        kept: dict[str, Any] = {}
        for key, value in resource.items():
            if key.lower() in whole:
                kept[key] = value
            elif key.lower() in partial:
                kept[key] = _only(value, partial[key.lower()])
        return kept
    dropped = _names(excluded, schema_id)
    if not dropped:
        return resource
    whole = {top for top, sub in dropped if sub is None} - ALWAYS
    partial = {}
    for top, sub in dropped:
        if sub is not None:
            partial.setdefault(top, set()).add(sub)
    kept = {}
    for key, value in resource.items():
        if key.lower() in whole:
            continue
        kept[key] = _without(value, partial[key.lower()]) if key.lower() in partial else value
    return kept
