"""A resource's attributes as okrql keeps them: a JSON object with the schema's spelling of
every name, values of the declared types, and nothing okrql does not keep.

What an identity provider sends is read leniently where providers are known to differ from
the RFC and the meaning is plain (booleans sent as "True" / "False", names in any case, a
single value where a list belongs, attributes of RFC 7643 okrql does not keep), and refused
with a precise detail otherwise.
"""

from __future__ import annotations

from typing import Any

from domain.scim.errors import invalid_syntax, invalid_value, mutability
from domain.scim.schemas import ENTERPRISE_USER_SCHEMA, Attribute, ResourceSchema
from domain.validation import text_problems

# Read-only attributes a client may send back (a PUT of what it read): ignored, as RFC 7644
# §3.5.1 asks.
READ_ONLY = frozenset({"id", "meta", "schemas"})
# Sub-attributes of RFC 7643 that okrql does not keep (lower case), dropped like attributes.
_IGNORED_SUB = {
    "name": frozenset({"middlename", "honorificprefix", "honorificsuffix"}),
    "members": frozenset({"display"}),
    "roles": frozenset(),
    "emails": frozenset(),
}


def _boolean(attribute: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # Some identity providers (Entra ID among them) send booleans as strings.
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise invalid_value(f"{attribute} must be true or false, not {value!r}.")


def _string(attribute: str, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid_value(f"{attribute} must be a string, not {value!r}.")
    if len(value) > 2000:
        raise invalid_value(f"{attribute} is at most 2000 characters long.")
    return value


def simple_value(attribute: Attribute, value: Any, where: str) -> Any:
    """A simple (not complex) value checked against its attribute's type."""
    if attribute.type == "boolean":
        return _boolean(where, value)
    return _string(where, value)


def complex_value(parent: Attribute, value: Any, where: str) -> dict[str, Any]:
    """One value of a complex attribute: its known sub-attributes, typed; unset ones left out."""
    if not isinstance(value, dict):
        raise invalid_value(f"{where} must be an object of {_names(parent.sub_attributes)}.")
    ignored = _IGNORED_SUB.get(parent.name, frozenset())
    kept: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub = parent.sub(key)
        if sub is None:
            if key.lower() in ignored:
                continue
            raise invalid_syntax(
                f"{where} has no sub-attribute {key!r}: okrql keeps"
                f" {_names(parent.sub_attributes)}."
            )
        if sub_value is None:
            continue
        kept[sub.name] = simple_value(sub, sub_value, f"{where}.{sub.name}")
    return kept


def attribute_value(attribute: Attribute, value: Any) -> Any:
    """A whole attribute's value, typed; None for an unassigned one (null, [] or {})."""
    if value is None:
        return None
    if attribute.multi_valued:
        values = value if isinstance(value, list) else [value]
        if attribute.type == "complex":
            items = [complex_value(attribute, v, attribute.name) for v in values]
            items = [item for item in items if item]
        else:
            items = [simple_value(attribute, v, attribute.name) for v in values]
        return items or None
    if attribute.type == "complex":
        return complex_value(attribute, value, attribute.name) or None
    return simple_value(attribute, value, attribute.name)


def resolve(schema: ResourceSchema, common: tuple[Attribute, ...], name: str) -> Attribute | None:
    """The attribute `name` designates (a schema URN in front is allowed); None when okrql
    accepts and drops it; a ScimError when no schema has it."""
    prefix = schema.id.lower() + ":"
    if name.lower().startswith(prefix):
        name = name[len(prefix) :]
    if name.lower().startswith(ENTERPRISE_USER_SCHEMA.lower()):
        return None
    lowered = name.lower()
    found = schema.attribute(name) or next((a for a in common if a.name.lower() == lowered), None)
    if found is not None:
        if found.mutability == "readOnly":
            raise mutability(f"{found.name} is read-only.")
        return found
    if lowered in schema.ignored:
        return None
    raise invalid_syntax(
        f"{schema.name} has no attribute {name!r}: okrql keeps"
        f" {_names(schema.attributes + common[1:])}."
    )


def read_document(
    body: dict[str, Any], schema: ResourceSchema, common: tuple[Attribute, ...]
) -> dict[str, Any]:
    """A whole resource as a client sent it (POST, PUT) in okrql's form."""
    declared = body.get("schemas")
    if declared is not None and (
        not isinstance(declared, list)
        or schema.id.lower() not in {str(s).lower() for s in declared}
    ):
        raise invalid_syntax(f"`schemas` must list {schema.id}.")
    document: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() in READ_ONLY:
            continue
        if key.lower() == schema.id.lower() and isinstance(value, dict):
            # Attributes nested under their own schema's URN, as some clients send them.
            document.update(read_document(value, schema, common))
            continue
        if key.lower().startswith("urn:") and not key.lower().startswith(schema.id.lower()):
            continue  # an extension okrql does not serve
        attribute = resolve(schema, common, key)
        if attribute is None:
            continue
        typed = attribute_value(attribute, value)
        if typed is not None:
            document[attribute.name] = typed
        else:
            document.pop(attribute.name, None)
    return document


def check_text(body: Any) -> None:
    """Refuse a request body holding a string no database text can hold (a NUL or an unpaired
    surrogate, at any depth): 400 invalidValue naming where, before anything reads it."""
    problems = text_problems(body, ())
    if problems:
        where = ".".join(problems[0].field) or "The body"
        raise invalid_value(f"{where}: {problems[0].message}")


def text_value(value: Any, what: str, limit: int) -> str:
    """A string attribute okrql stores, stripped: neither blank nor longer than `limit`."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise invalid_value(f"{what} must not be blank.")
    if len(text) > limit:
        raise invalid_value(f"{what} is at most {limit} characters long.")
    return text


def _names(attributes: tuple[Attribute, ...]) -> str:
    return ", ".join(a.name for a in attributes)
