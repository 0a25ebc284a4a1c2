"""PATCH (RFC 7644 §3.5.2): add, replace and remove operations applied to a resource's
document (domain/scim/documents.py), giving the document to write.

Paths: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, each perhaps behind the
schema's URN. Without a path, `add` and `replace` take an object of attributes (whose keys may
themselves be paths, as Entra ID sends `name.givenName`). Choices where the RFC leaves room or
identity providers differ from it:

- `replace` (and `add`) on `attr[filter].sub` that matches no value adds one, built from the
  filter's `eq` comparisons: Entra ID changes a work email this way on users that have none.
  A filter that cannot describe a new value (not only `eq` joined by `and`) is noTarget.
- `remove` with a filter that matches nothing changes nothing (removing twice is not an
  error); `remove` on `members` with a value list removes those members (Entra ID's form).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from domain.scim.documents import attribute_value, complex_value, resolve, simple_value
from domain.scim.errors import invalid_path, invalid_syntax, invalid_value, no_target
from domain.scim.filters import And, Compare, Filter, matches, parse_attr_path, parse_filter
from domain.scim.schemas import PATCH_OP, Attribute, ResourceSchema

MAX_OPERATIONS = 1000


@dataclass(frozen=True, slots=True)
class PatchPath:
    attribute: Attribute | None  # None: an attribute okrql accepts and drops
    sub: Attribute | None = None
    value_filter: Filter | None = None


def _split(text: str) -> tuple[str, str | None, str | None]:
    """`attr[filter].sub` into its attribute, its filter text and its trailing sub-attribute."""
    opening = text.find("[")
    if opening < 0:
        return text, None, None
    quoted = False
    for i in range(opening + 1, len(text)):
        c = text[i]
        if c == '"' and text[i - 1] != "\\":
            quoted = not quoted
        elif c == "]" and not quoted:
            rest = text[i + 1 :]
            if rest and not rest.startswith("."):
                raise invalid_path(f"Unexpected {rest!r} after the value filter in {text!r}.")
            return text[:opening], text[opening + 1 : i], rest[1:] or None
    raise invalid_path(f"The value filter of {text!r} has no closing ']'.")


def parse_path(text: Any, schema: ResourceSchema, common: tuple[Attribute, ...]) -> PatchPath:
    if not isinstance(text, str) or not text.strip():
        raise invalid_path("`path` must be a non-empty string.")
    head, filter_text, trailing = _split(text.strip())
    try:
        attr_path = parse_attr_path(head)
    except ValueError:
        raise invalid_path(f"{text!r} is not an attribute path.") from None
    prefix = f"{attr_path.schema}:" if attr_path.schema else ""
    attribute = resolve(schema, common, prefix + attr_path.attribute)
    if attribute is None:
        return PatchPath(None)
    sub_name = attr_path.sub_attribute or trailing
    if attr_path.sub_attribute and filter_text is not None:
        raise invalid_path(f"{text!r}: the value filter belongs right after {attribute.name}.")
    sub = None
    if sub_name is not None:
        sub = attribute.sub(sub_name)
        if sub is None:
            raise invalid_path(f"{attribute.name} has no sub-attribute {sub_name!r}.")
    value_filter = None
    if filter_text is not None:
        if not attribute.multi_valued or attribute.type != "complex":
            raise invalid_path(f"{attribute.name} is not a multi-valued complex attribute.")
        value_filter = parse_filter(filter_text)
    return PatchPath(attribute, sub, value_filter)


def _case_exact(attribute: Attribute) -> frozenset[str]:
    return frozenset(s.name.lower() for s in attribute.sub_attributes if s.case_exact)


def _template(tree: Filter, attribute: Attribute) -> dict[str, Any] | None:
    """The value an `eq`-only filter describes (`type eq "work"` -> {"type": "work"})."""
    if isinstance(tree, And):
        left, right = _template(tree.left, attribute), _template(tree.right, attribute)
        return None if left is None or right is None else left | right
    if isinstance(tree, Compare) and tree.operator == "eq" and tree.path.sub_attribute is None:
        sub = attribute.sub(tree.path.attribute)
        if sub is not None and tree.value is not None:
            return {sub.name: simple_value(sub, tree.value, f"{attribute.name}.{sub.name}")}
    return None


def _merge_multi(current: list[Any], added: list[Any]) -> list[Any]:
    merged = list(current)
    merged.extend(v for v in added if v not in merged)
    return merged


def _set(document: dict[str, Any], attribute: Attribute, value: Any, op: str) -> None:
    typed = attribute_value(attribute, value)
    name = attribute.name
    if typed is None:
        if op == "replace":
            document.pop(name, None)
        return
    if attribute.multi_valued and op == "add":
        document[name] = _merge_multi(document.get(name, []), typed)
    elif attribute.type == "complex" and not attribute.multi_valued:
        # Sub-attributes the value leaves out keep theirs (RFC 7644 §3.5.2.1 and .3).
        document[name] = document.get(name, {}) | typed
    else:
        document[name] = typed


def _apply_path(document: dict[str, Any], path: PatchPath, op: str, value: Any) -> None:
    attribute = path.attribute
    if attribute is None:
        return
    name = attribute.name
    if path.value_filter is None and path.sub is None:
        if op == "remove":
            if value is not None and attribute.multi_valued and attribute.type == "complex":
                doomed = attribute_value(attribute, value) or []
                keys = [d.get("value") for d in doomed]
                kept = [v for v in document.get(name, []) if v.get("value") not in keys]
                document[name] = kept
                if not kept:
                    document.pop(name)
            else:
                document.pop(name, None)
            return
        _set(document, attribute, value, op)
        return
    sub = path.sub
    if path.value_filter is None:
        assert sub is not None
        # `attr.sub`: a sub-attribute of a complex attribute (of each of its values, when it
        # is multi-valued).
        holders = document.get(name, [] if attribute.multi_valued else {})
        targets = holders if attribute.multi_valued else [holders]
        if op == "remove":
            for target in targets:
                target.pop(sub.name, None)
        else:
            if value is None:
                raise invalid_value(f"{op} {name}.{sub.name} needs a value.")
            typed = simple_value(sub, value, f"{name}.{sub.name}")
            for target in targets:
                target[sub.name] = typed
            if not attribute.multi_valued:
                document[name] = holders
        _tidy(document, attribute)
        return
    values: list[dict[str, Any]] = document.get(name, [])
    exact = _case_exact(attribute)
    hits = [v for v in values if matches(v, path.value_filter, exact)]
    if op == "remove":
        if sub is None:
            document[name] = [v for v in values if v not in hits]
        else:
            for hit in hits:
                hit.pop(sub.name, None)
        _tidy(document, attribute)
        return
    if value is None:
        raise invalid_value(f"{op} on {name}[…] needs a value.")
    if sub is not None:
        typed_sub = simple_value(sub, value, f"{name}.{sub.name}")
        if not hits:
            template = _template(path.value_filter, attribute)
            if template is None:
                raise no_target(f"No value of {name} matches the filter.")
            values.append(template | {sub.name: typed_sub})
            document[name] = values
        for hit in hits:
            hit[sub.name] = typed_sub
        return
    replacement = complex_value(attribute, value, name)
    if not hits:
        if op == "replace":
            raise no_target(f"No value of {name} matches the filter.")
        document[name] = _merge_multi(values, [replacement])
        return
    for hit in hits:
        if op == "replace":
            hit.clear()
        hit.update(replacement)


def _tidy(document: dict[str, Any], attribute: Attribute) -> None:
    """Drop values, and the attribute, that a removal left empty."""
    current = document.get(attribute.name)
    if attribute.multi_valued and isinstance(current, list):
        current = [v for v in current if v]
        document[attribute.name] = current
    if not current:
        document.pop(attribute.name, None)


def apply_patch(
    document: dict[str, Any],
    body: Any,
    schema: ResourceSchema,
    common: tuple[Attribute, ...],
) -> dict[str, Any]:
    """The document after every operation of a PatchOp body, applied in order (all or none:
    the caller writes nothing when this raises)."""
    if not isinstance(body, dict):
        raise invalid_syntax("The body must be a PatchOp object.")
    declared = body.get("schemas")
    if not isinstance(declared, list) or PATCH_OP not in declared:
        raise invalid_syntax(f"`schemas` must be [{PATCH_OP!r}].")
    operations = next((v for k, v in body.items() if k.lower() == "operations"), None)
    if not isinstance(operations, list) or not operations:
        raise invalid_syntax("`Operations` must be a non-empty list.")
    if len(operations) > MAX_OPERATIONS:
        raise invalid_syntax(f"At most {MAX_OPERATIONS} operations per request.")
    patched = copy.deepcopy(document)
    for index, operation in enumerate(operations, 1):
        if not isinstance(operation, dict):
            raise invalid_syntax(f"Operation {index} is not an object.")
        fields = {k.lower(): v for k, v in operation.items()}
        op = fields.get("op")
        if not isinstance(op, str) or op.lower() not in ("add", "replace", "remove"):
            raise invalid_syntax(
                f"Operation {index}: `op` must be add, replace or remove, not {op!r}."
            )
        op = op.lower()
        path, value = fields.get("path"), fields.get("value")
        if path is None:
            if op == "remove":
                raise no_target(f"Operation {index}: remove needs a `path`.")
            if not isinstance(value, dict):
                raise invalid_syntax(
                    f"Operation {index}: without a `path`, `value` must be an object of attributes."
                )
            for key, item in value.items():
                if key.lower() in ("schemas", "id", "meta"):
                    continue
                if key.lower().startswith("urn:") and not key.lower().startswith(schema.id.lower()):
                    continue  # an extension okrql does not serve
                _apply_path(patched, parse_path(key, schema, common), op, item)
            continue
        if op != "remove" and "value" not in fields:
            raise invalid_syntax(f"Operation {index}: {op} needs a `value`.")
        _apply_path(patched, parse_path(path, schema, common), op, value)
    return patched
