"""SCIM filters compiled into SQL predicates.

A filter's tree (domain/scim/filters.py) becomes a predicate made only of the fixed fragments
below, one per attribute and operator; every value the client sent is a bind parameter, never
SQL text. Each comparison is wrapped in coalesce(…, false), so an attribute without a value
fails `eq` and passes `ne`, and `not` reads as two-valued logic does.

Text attributes compare case-insensitively unless the schema makes them caseExact
(externalId, ids), as RFC 7643 §2.2 asks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from db.ids import MalformedIdError, decode_id_of
from domain.scim.errors import invalid_filter
from domain.scim.filters import (
    And,
    AttrPath,
    Compare,
    Filter,
    Not,
    Or,
    Present,
    ValuePath,
)


@dataclass(frozen=True, slots=True)
class Text:
    sql: str  # `{e}` stands for the element of a multi-valued attribute
    case_exact: bool = False


@dataclass(frozen=True, slots=True)
class Boolean:
    sql: str


@dataclass(frozen=True, slots=True)
class Id:
    sql: str
    type_name: str


@dataclass(frozen=True, slots=True)
class Elements:
    """A multi-valued complex attribute stored as a JSON array: `sql` is the array, `subs`
    the sub-attributes of one element, `value` the one its bare name compares."""

    sql: str
    subs: dict[str, Text | Boolean]
    value: str = "value"


@dataclass(frozen=True, slots=True)
class Members:
    """A team's members: team_member rows, compared by user id."""

    team_sql: str


Column = Text | Boolean | Id | Elements | Members


@dataclass(frozen=True, slots=True)
class Attributes:
    schema: str
    columns: dict[str, Column] = field(default_factory=dict)


_EFFECTIVE_EMAILS = (
    "CASE WHEN m.scim IS NULL"
    " THEN jsonb_build_array(jsonb_build_object('value', m.email, 'type', 'work', 'primary', true))"
    " ELSE coalesce(m.scim->'emails', '[]'::jsonb) END"
)

USERS = Attributes(
    "urn:ietf:params:scim:schemas:core:2.0:User",
    {
        "id": Id("m.user_id", "User"),
        "username": Text("coalesce(m.user_name, m.email)"),
        "externalid": Text("m.external_id", case_exact=True),
        "active": Boolean("(m.status = 'ACTIVE')"),
        "displayname": Text("CASE WHEN m.scim IS NULL THEN m.name ELSE m.scim->>'displayName' END"),
        "name.formatted": Text(
            "CASE WHEN m.scim IS NULL THEN m.name ELSE m.scim #>> '{name,formatted}' END"
        ),
        "name.givenname": Text("(m.scim #>> '{name,givenName}')"),
        "name.familyname": Text("(m.scim #>> '{name,familyName}')"),
        "emails": Elements(
            _EFFECTIVE_EMAILS,
            {
                "value": Text("({e}->>'value')"),
                "type": Text("({e}->>'type')"),
                "display": Text("({e}->>'display')"),
                "primary": Boolean("({e}->'primary' = 'true'::jsonb)"),
            },
        ),
    },
)

GROUPS = Attributes(
    "urn:ietf:params:scim:schemas:core:2.0:Group",
    {
        "id": Id("t.id", "Team"),
        "displayname": Text("t.name"),
        "externalid": Text("t.external_id", case_exact=True),
        "members": Members("t"),
    },
)


class _Compiler:
    def __init__(self, attributes: Attributes, params: list[Any], first: int) -> None:
        self.attributes = attributes
        self.params = params
        self.first = first
        self.aliases = 0

    def bind(self, value: Any, cast: str) -> str:
        self.params.append(value)
        return f"${self.first + len(self.params) - 1:d}::{cast}"

    def compile(self, tree: Filter, scope: Elements | None = None, element: str = "") -> str:
        if isinstance(tree, And):
            left, right = (
                self.compile(tree.left, scope, element),
                self.compile(tree.right, scope, element),
            )
            return f"({left} AND {right})"
        if isinstance(tree, Or):
            left, right = (
                self.compile(tree.left, scope, element),
                self.compile(tree.right, scope, element),
            )
            return f"({left} OR {right})"
        if isinstance(tree, Not):
            return f"(NOT {self.compile(tree.inner, scope, element)})"
        if isinstance(tree, ValuePath):
            if scope is not None:
                raise invalid_filter("Value filters do not nest.")
            column = self.column(tree.path)
            if not isinstance(column, Elements):
                raise invalid_filter(f"{tree.path} is not a multi-valued complex attribute.")
            return self.exists(column, lambda alias: self.compile(tree.inner, column, alias))
        column = self.column(tree.path) if scope is None else self.sub(scope, tree.path)
        if isinstance(column, Elements):
            sub = column.subs[column.value]
            if isinstance(tree, Present):
                return f"(jsonb_array_length({column.sql}) > 0)"
            return self.exists(column, lambda alias: self.atom(tree, sub, alias))
        return self.atom(tree, column, element)

    def exists(self, column: Elements, predicate: Any) -> str:
        self.aliases += 1
        alias = f"e{self.aliases:d}"
        return (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements({column.sql}) AS {alias}"
            f" WHERE {predicate(alias)})"
        )

    def column(self, path: AttrPath) -> Column:
        if path.schema is not None and path.schema.lower() != self.attributes.schema.lower():
            raise invalid_filter(f"{path}: okrql filters on {self.attributes.schema} only.")
        key = path.attribute.lower()
        if path.sub_attribute is not None:
            whole = self.attributes.columns.get(key)
            if isinstance(whole, Elements):
                sub = whole.subs.get(path.sub_attribute.lower())
                if sub is None:
                    raise invalid_filter(f"{path} is not an attribute okrql filters on.")
                return Elements(whole.sql, whole.subs, path.sub_attribute.lower())
            key = f"{key}.{path.sub_attribute.lower()}"
        found = self.attributes.columns.get(key)
        if found is None:
            known = ", ".join(sorted(self.attributes.columns))
            raise invalid_filter(f"{path} is not an attribute okrql filters on ({known}).")
        return found

    def sub(self, scope: Elements, path: AttrPath) -> Text | Boolean:
        found = None if path.sub_attribute else scope.subs.get(path.attribute.lower())
        if found is None:
            raise invalid_filter(f"{path} is not a sub-attribute okrql filters on.")
        return found

    def atom(self, tree: Compare | Present, column: Column, element: str) -> str:
        if isinstance(column, Members):
            return self.members(tree, column)
        if isinstance(column, Elements):  # pragma: no cover - compile() unwraps these
            raise invalid_filter(f"{tree.path} cannot be compared.")
        if isinstance(column, Id):
            return self.id(tree, column)
        sql = column.sql.replace("{e}", element)
        if isinstance(tree, Present):
            if isinstance(column, Boolean):
                return f"({sql} IS NOT NULL)"
            return f"coalesce({sql} <> '', false)"
        value = tree.value
        if value is None:
            return self.null(tree, sql)
        if isinstance(column, Boolean):
            if not isinstance(value, bool) or tree.operator not in ("eq", "ne"):
                raise invalid_filter(f"{tree.path} is true or false: compare it with eq or ne.")
            bound = self.bind(value, "boolean")
            if tree.operator == "eq":
                return f"coalesce({sql} = {bound}, false)"
            return f"coalesce({sql} <> {bound}, true)"
        if not isinstance(value, str):
            raise invalid_filter(f"{tree.path} is a string: quote the value.")
        if not column.case_exact:
            sql, value = f"lower({sql})", value.lower()
        bound = self.bind(value, "text")
        compare = {
            "eq": f"{sql} = {bound}",
            "co": f"strpos({sql}, {bound}) > 0",
            "sw": f"starts_with({sql}, {bound})",
            "ew": f"right({sql}, length({bound})) = {bound}",
            "gt": f"{sql} > {bound}",
            "ge": f"{sql} >= {bound}",
            "lt": f"{sql} < {bound}",
            "le": f"{sql} <= {bound}",
        }
        if tree.operator == "ne":
            return f"coalesce({sql} <> {bound}, true)"
        return f"coalesce({compare[tree.operator]}, false)"

    def null(self, tree: Compare, sql: str) -> str:
        if tree.operator == "eq":
            return f"({sql} IS NULL)"
        if tree.operator == "ne":
            return f"({sql} IS NOT NULL)"
        raise invalid_filter(f"{tree.path}: null compares with eq or ne only (or use pr).")

    def id(self, tree: Compare | Present, column: Id) -> str:
        if isinstance(tree, Present):
            return "TRUE"
        if tree.operator not in ("eq", "ne") or not isinstance(tree.value, str):
            raise invalid_filter(f"{tree.path} compares with eq or ne and a quoted id.")
        try:
            pk: int | None = decode_id_of(tree.value, column.type_name)
        except MalformedIdError:
            pk = None  # an id okrql never gave out matches nothing
        bound = self.bind(pk, "bigint")
        if tree.operator == "eq":
            return f"coalesce({column.sql} = {bound}, false)"
        return f"coalesce({column.sql} <> {bound}, true)"

    def members(self, tree: Compare | Present, column: Members) -> str:
        t = column.team_sql
        rows = (
            f"SELECT 1 FROM team_member tm WHERE tm.organization_id = {t}.organization_id"
            f" AND tm.team_id = {t}.id"
        )
        if isinstance(tree, Present):
            return f"EXISTS ({rows})"
        if tree.operator != "eq" or not isinstance(tree.value, str):
            raise invalid_filter("members compares with eq and a quoted user id.")
        try:
            pk: int | None = decode_id_of(tree.value, "User")
        except MalformedIdError:
            pk = None
        return f"EXISTS ({rows} AND tm.user_id = {self.bind(pk, 'bigint')})"


def compile_filter(
    tree: Filter | None, attributes: Attributes, params: list[Any], first: int
) -> str:
    """The SQL predicate of `tree` (TRUE without one); its values are appended to `params`,
    numbered from `$first`."""
    if tree is None:
        return "TRUE"
    return _Compiler(attributes, params, first).compile(tree)
