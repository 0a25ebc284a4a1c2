"""Query documents generated from the schema, for differential tests of the planner.

A hypothesis strategy draws a query over the whole read API: random fields at random depth,
aliases, inline fragments and named fragments on the Node interface and on object types,
@skip/@include with literals and variables, arguments as literals or variables, and argument
values that are sometimes wrong (malformed or foreign ids, forged cursors, pages out of
range, ids of another type). Every document is valid GraphQL for the schema as long as the
generator keeps response keys unique per selection set, which it does: a field appears once
under its own name, every other time under an alias of its own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_leaf_type,
    print_type,
)
from hypothesis import strategies as st

# Values that look like what a client sends by mistake or on purpose.
FORGED_CURSORS = ("", "garbage", "WyJhIl0", "WyJOYU4iLCIxIl0", "bm90IGEgY3Vyc29y")
BAD_IDS = ("garbage", "", "T2JqZWN0aXZlOjA", "T2JqZWN0aXZlOjEwMDAwMDAwMDA")  # Objective:0, :1e9


@dataclass
class _Document:
    """What a drawn document accumulates while its selections are drawn."""

    draw: Any
    ids: Sequence[str]
    strings: Sequence[str]
    variables: dict[str, Any] = field(default_factory=dict)
    definitions: list[str] = field(default_factory=list)  # "$v0: Int!"
    fragments: dict[str, str] = field(default_factory=dict)
    names: int = 0

    def fresh(self, prefix: str) -> str:
        self.names += 1
        return f"{prefix}{self.names}"


class DocumentGenerator:
    def __init__(
        self,
        schema: GraphQLSchema,
        ids: Sequence[str],
        strings: Sequence[str],
        *,
        max_depth: int = 4,
        skip_root_fields: frozenset[str] = frozenset(),
    ) -> None:
        self.schema = schema
        self.ids = list(ids)
        self.strings = list(strings)
        self.max_depth = max_depth
        query = schema.query_type
        assert query is not None
        self.query = query
        self.root_fields = [
            name
            for name, f in query.fields.items()
            if name not in skip_root_fields and not f.deprecation_reason
        ]

    def documents(self) -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
        """(document, variables) pairs."""
        return st.composite(self._document)()

    def _document(self, draw: Any) -> tuple[str, dict[str, Any]]:
        doc = _Document(draw, self.ids, self.strings)
        selections = self._selections(doc, self.query, 0, roots=True)
        variables = f"({', '.join(doc.definitions)})" if doc.definitions else ""
        text = "\n".join(
            [f"query Generated{variables} {{", *selections, "}", *doc.fragments.values()]
        )
        return text, doc.variables

    # --- selections --------------------------------------------------------------------------

    def _selections(
        self, doc: _Document, parent: GraphQLObjectType | GraphQLInterfaceType, depth: int,
        *, roots: bool = False,
    ) -> list[str]:  # fmt: skip
        draw = doc.draw
        names = self.root_fields if roots else self._readable(parent)
        # Leaves only at the bottom, so every branch ends.
        if depth >= self.max_depth:
            names = [n for n in names if is_leaf_type(get_named_type(parent.fields[n].type))]
        if not names:
            return ["__typename"]
        chosen = draw(st.lists(st.sampled_from(names), min_size=1, max_size=4 if roots else 5))
        used: set[str] = set()
        out: list[str] = []
        for name in chosen:
            alias = ""
            if name in used or draw(st.integers(0, 4)) == 0:
                alias = f"{doc.fresh('a')}: "
            used.add(name)
            out.append(self._field(doc, parent, name, alias, depth))
        if draw(st.booleans()) and not roots:
            out.append("__typename")
        return out

    def _readable(self, parent: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
        return [n for n, f in parent.fields.items() if not f.deprecation_reason]

    def _field(
        self,
        doc: _Document,
        parent: GraphQLObjectType | GraphQLInterfaceType,
        name: str,
        alias: str,
        depth: int,
    ) -> str:
        draw = doc.draw
        field_def: GraphQLField = parent.fields[name]
        arguments = self._arguments(doc, field_def)
        directive = self._directive(doc)
        named = get_named_type(field_def.type)
        head = f"{alias}{name}{arguments}{directive}"
        if is_leaf_type(named):
            return head
        if isinstance(named, GraphQLInterfaceType):
            return f"{head} {{ {' '.join(self._abstract(doc, named, depth + 1))} }}"
        assert isinstance(named, GraphQLObjectType)
        inner = self._selections(doc, named, depth + 1)
        if draw(st.integers(0, 5)) == 0:
            # The same fields through a named fragment on the object type.
            fragment = doc.fresh("F")
            doc.fragments[fragment] = f"fragment {fragment} on {named.name} {{ {' '.join(inner)} }}"
            inner = [f"...{fragment}"]
        elif draw(st.integers(0, 5)) == 0:
            inner = [f"... on {named.name} {{ {' '.join(inner)} }}"]
        return f"{head} {{ {' '.join(inner)} }}"

    def _abstract(self, doc: _Document, interface: GraphQLInterfaceType, depth: int) -> list[str]:
        draw = doc.draw
        out = self._selections(doc, interface, depth) if draw(st.booleans()) else ["id"]
        possible = sorted(self.schema.get_possible_types(interface), key=lambda t: t.name)
        for runtime in draw(st.lists(st.sampled_from(possible), max_size=3, unique=True)):
            inner = " ".join(self._selections(doc, runtime, depth))
            if draw(st.booleans()):
                fragment = doc.fresh("F")
                doc.fragments[fragment] = f"fragment {fragment} on {runtime.name} {{ {inner} }}"
                out.append(f"...{fragment}")
            else:
                out.append(f"... on {runtime.name} {{ {inner} }}")
        return out

    def _directive(self, doc: _Document) -> str:
        draw = doc.draw
        choice = draw(st.integers(0, 11))
        if choice == 0:
            return f" @include(if: {draw(st.sampled_from(['true', 'false']))})"
        if choice == 1:
            variable = doc.fresh("b")
            doc.definitions.append(f"${variable}: Boolean!")
            doc.variables[variable] = draw(st.booleans())
            return f" @{draw(st.sampled_from(['skip', 'include']))}(if: ${variable})"
        return ""

    # --- arguments ---------------------------------------------------------------------------

    def _arguments(self, doc: _Document, field_def: GraphQLField) -> str:
        draw = doc.draw
        parts: list[str] = []
        for name, argument in field_def.args.items():
            required = isinstance(argument.type, GraphQLNonNull)
            # `after` only now and then: drawn cursors are forged ones.
            if not required and draw(st.integers(0, 6 if name == "after" else 2)) != 0:
                continue
            value = self._value(doc, name, argument.type)
            if draw(st.booleans()):
                variable = doc.fresh("v")
                doc.definitions.append(f"${variable}: {argument.type}")
                doc.variables[variable] = value
                parts.append(f"{name}: ${variable}")
            else:
                parts.append(f"{name}: {_literal(value, argument.type)}")
        return f"({', '.join(parts)})" if parts else ""

    def _value(self, doc: _Document, name: str, type_: GraphQLInputType) -> Any:
        draw = doc.draw
        if isinstance(type_, GraphQLNonNull):
            return self._value(doc, name, type_.of_type)
        if isinstance(type_, GraphQLList):
            return [self._value(doc, name, type_.of_type) for _ in range(draw(st.integers(0, 3)))]
        if isinstance(type_, GraphQLInputObjectType):
            chosen = draw(st.lists(st.sampled_from(sorted(type_.fields)), max_size=3, unique=True))
            required = [n for n, f in type_.fields.items() if isinstance(f.type, GraphQLNonNull)]
            return {n: self._value(doc, n, type_.fields[n].type) for n in {*chosen, *required}}
        if isinstance(type_, GraphQLEnumType):
            return draw(st.sampled_from(sorted(type_.values)))
        assert isinstance(type_, GraphQLScalarType), print_type(type_)
        # Mostly good values, so most documents get as far as the database; one in eight or
        # so is wrong, in one of the ways clients get it wrong.
        wrong = draw(st.integers(0, 7)) == 0
        if type_.name == "Int":
            if name != "first":
                return draw(st.integers(0, 1))
            # A page out of range refuses the whole request (its cost cannot be known):
            # rarer, so it leaves room for the field errors below.
            if wrong and draw(st.integers(0, 4)) == 0:
                return draw(st.sampled_from([-1, 1001]))
            return draw(st.integers(0, 3))
        if type_.name == "Boolean":
            return draw(st.booleans())
        if type_.name == "ID":
            return draw(st.sampled_from(BAD_IDS if wrong else doc.ids))
        if type_.name == "String":
            if name == "after":
                return draw(st.sampled_from(FORGED_CURSORS))
            return draw(st.sampled_from([*doc.strings, "", "ä%_\\"]))
        raise AssertionError(f"no values drawn for {type_.name} arguments")


def _literal(value: Any, type_: GraphQLInputType) -> str:
    """`value` written in the document."""
    if isinstance(type_, GraphQLNonNull):
        return _literal(value, type_.of_type)
    if isinstance(type_, GraphQLList):
        return f"[{', '.join(_literal(v, type_.of_type) for v in value)}]"
    if isinstance(type_, GraphQLInputObjectType):
        fields: Mapping[str, Any] = value
        inner = ", ".join(f"{k}: {_literal(v, type_.fields[k].type)}" for k, v in fields.items())
        return f"{{{inner}}}"
    if isinstance(type_, GraphQLEnumType):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
