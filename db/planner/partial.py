"""Field errors and partial results, as the GraphQL spec has them ("Handling Field Errors").

A relation that fails (a malformed cursor, a page too large, a refused connection, a
malformed id) fails for each of its parents: its key stays null in each of them, the error is
reported once per response path, with list indices as integers and the field's location, and
the null spreads up to the nearest nullable ancestor, so the rest of the answer stays. Every
failed field is reported, also inside what another error nulled (graphql-core leaves out
some of those, depending on which of its resolvers finished first; the spec asks for one
error per field, and a client learns more from all of them).

Failures are rare, so nothing on the rendering path carries response paths: they are found
afterwards, by looking the failed relations' parents up in the finished answer, and the types
along a path are read off the document (validation guarantees that fields sharing a response
key have the same shape, so a response key names one type wherever it is selected).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_non_null_type,
)

Path = list[str | int]

MAX_ERRORS = 100


@dataclass(slots=True)
class Failure:
    """A relation that could not be read for any of its parents."""

    error: GraphQLError
    field_node: FieldNode
    key: str
    parents: list[dict[str, Any]]


def complete(
    data: dict[str, Any],
    failures: Sequence[Failure],
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> dict[str, Any]:
    """The response for `data` rendered with `failures`: errors with paths, nulls spread.

    At most MAX_ERRORS are listed; past them one more error counts the rest, so a bad cursor
    under a large page cannot make the answer many times the size of its data."""
    paths = _locate(data, {id(p) for f in failures for p in f.parents})
    errors: list[dict[str, Any]] = []
    left_out = 0
    # The types along a path depend on its response keys only, not on its list indices.
    types_of: dict[tuple[str, ...], list[GraphQLOutputType]] = {}
    result: dict[str, Any] | None = data
    for failure in failures:
        seen: set[int] = set()
        for parent in failure.parents:
            if id(parent) in seen:
                continue
            seen.add(id(parent))
            for parent_path in paths.get(id(parent), ()):
                path: Path = [*parent_path, failure.key]
                if len(errors) < MAX_ERRORS:
                    error = GraphQLError(
                        failure.error.message,
                        nodes=[failure.field_node],
                        path=path,
                        extensions=failure.error.extensions,
                    )
                    errors.append(dict(error.formatted))
                else:
                    left_out += 1
                if result is not None:
                    keys = tuple(s for s in path if isinstance(s, str))
                    types = types_of.get(keys)
                    if types is None:
                        types = types_of[keys] = _types_along(schema, operation, fragments, path)
                    result = _spread_null(result, path, types)
    if left_out:
        errors.append(
            {
                "message": f"{left_out} more field errors like these were left out.",
                "extensions": {"code": "TOO_MANY_ERRORS", "leftOut": left_out},
            }
        )
    return {"data": result, "errors": errors}


def _locate(data: dict[str, Any], wanted: set[int]) -> dict[int, list[Path]]:
    """Every response path of each wanted dict (a shared row's dict may sit at several)."""
    found: dict[int, list[Path]] = {}

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, dict):
            if id(value) in wanted:
                found.setdefault(id(value), []).append(list(path))
            for key, item in value.items():
                if isinstance(item, dict | list):
                    walk(item, [*path, key])
        elif isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict | list):
                    walk(item, [*path, index])

    walk(data, [])
    return found


def _types_along(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    path: Path,
) -> list[GraphQLOutputType]:
    """The declared type of the value at each prefix of `path`."""
    root = schema.get_root_type(operation.operation)
    assert root is not None
    parent: Any = root
    selection_sets = [operation.selection_set]
    types: list[GraphQLOutputType] = []
    current: GraphQLOutputType = root
    for segment in path:
        if isinstance(segment, int):
            list_type = current.of_type if isinstance(current, GraphQLNonNull) else current
            assert isinstance(list_type, GraphQLList)
            current = list_type.of_type
            types.append(current)
            continue
        field_type: GraphQLOutputType | None = None
        next_sets: list[SelectionSetNode] = []
        for owner, node in _fields_named(parent, selection_sets, segment, fragments, schema):
            if field_type is None:
                field_type = owner.fields[node.name.value].type
            if node.selection_set is not None:
                next_sets.append(node.selection_set)
        assert field_type is not None, f"no field {segment!r} on {parent}"
        current = field_type
        types.append(current)
        parent, selection_sets = get_named_type(current), next_sets
    return types


def _fields_named(
    parent: Any,
    selection_sets: Sequence[SelectionSetNode],
    key: str,
    fragments: Mapping[str, FragmentDefinitionNode],
    schema: GraphQLSchema,
) -> Iterator[tuple[GraphQLObjectType, FieldNode]]:
    """The field nodes answering to response `key`, each with the type it is selected on."""
    visited: set[str] = set()

    def walk(owner: Any, selection_set: SelectionSetNode) -> Iterator[tuple[Any, FieldNode]]:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.alias.value if selection.alias else selection.name.value
                if name == key and not selection.name.value.startswith("__"):
                    yield owner, selection
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = schema.get_type(condition.name.value) if condition else owner
                yield from walk(inner, selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in visited and name in fragments:
                    visited.add(name)
                    fragment = fragments[name]
                    inner = schema.get_type(fragment.type_condition.name.value)
                    yield from walk(inner, fragment.selection_set)

    for selection_set in selection_sets:
        yield from walk(parent, selection_set)


def _spread_null(
    data: dict[str, Any], path: Path, types: Sequence[GraphQLOutputType]
) -> dict[str, Any] | None:
    """Null the nearest nullable position at or above `path`; None if none is (no data)."""
    position = len(path) - 1
    while position >= 0 and is_non_null_type(types[position]):
        position -= 1
    if position < 0:
        return None
    container: Any = data
    for segment in path[:position]:
        container = container[segment]
        if container is None:
            return data  # inside what another error nulled already
    container[path[position]] = None
    return data
