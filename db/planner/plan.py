"""Compile a validated operation into a plan: which relations to fetch and how to render rows.

The plan mirrors the selection. An `ObjectPlan` renders one row into the response dict of one
object type (its keys in request order, relations as placeholders filled later); a `Fetch` is a
relation of the selection, executed later as one statement for all of its parents. Plans depend
only on the document and the variables used by @skip/@include, so they are cached and reused;
per-request argument values are read when a fetch runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    is_scalar_type,
    specified_scalar_types,
)
from graphql.language import ListValueNode, ObjectValueNode, ValueNode, VariableNode

from db.catalog import SOURCE_BY_TYPE, SOURCES, Source
from db.planner.collect import FieldCollector
from db.planner.mapping import (
    METADATA_KEY,
    WIRE_FORMS,
    Column,
    Derived,
    Embedded,
    FieldMapping,
    Lookup,
    Many,
    Mutation,
    NodeById,
    ReadContext,
    Subscribed,
    ToOne,
    ToOneList,
    Value,
)

Render = Callable[[Any, ReadContext, Sequence[list[tuple[dict[str, Any], Any]]]], dict[str, Any]]


class PlanningError(Exception):
    """A schema field without a mapping: a bug in okrql, never the client's fault."""


@dataclass(eq=False)
class ObjectPlan:
    """How to render rows of one object type for one selection."""

    type_name: str
    source: Source | None  # None for rows built in Python (the query root, payloads)
    columns: tuple[str, ...]
    fetches: list[Fetch]
    render: Render
    # To-one relations joined into this plan's own statement (see Fold).
    folds: tuple[Fold, ...] = ()
    # What `render` was generated from: (response key, kind, detail) per selected field.
    steps: tuple[tuple[str, str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class Fold:
    """A to-one relation read by the parent's statement itself (a LEFT JOIN LATERAL after any
    per-parent LIMIT), when its selection needs no further relation: one statement fewer.
    Its columns come back as `<alias>__<column>`."""

    alias: str
    source: str
    parent_key: str
    columns: tuple[str, ...]


@dataclass(eq=False)
class ConnectionShape:
    """The parts of a connection's selection, each rendered from the same page of rows."""

    parts: list[tuple[str, str, Any]]  # (response key, part, detail)
    node_plans: list[ObjectPlan]
    columns: tuple[str, ...]
    with_total: bool
    folds: tuple[Fold, ...] = ()


@dataclass(eq=False)
class Fetch:
    key: str
    kind: Literal["one", "many", "node", "mutation", "lookup", "each"]
    parent_column: str
    field_def: GraphQLField
    field_node: FieldNode
    path: tuple[str, ...]
    mapping: FieldMapping
    plan: ObjectPlan | None = None  # kinds "one", "lookup" and "mutation" (the payload)
    shape: ConnectionShape | None = None  # kind "many"
    plans_by_type: dict[str, ObjectPlan] = field(default_factory=dict)  # kind "node"
    # Arguments written as literals only are the same for every request of a cached plan:
    # a read coerces them once (run.py); None until then, or when they name a variable.
    constant_arguments: Mapping[str, Any] | None = None
    arguments_are_constant: bool = False

    def __post_init__(self) -> None:
        self.arguments_are_constant = self.kind in ("many", "node", "lookup") and not any(
            _names_variable(argument.value) for argument in self.field_node.arguments or ()
        )


def _names_variable(node: ValueNode) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ListValueNode):
        return any(_names_variable(v) for v in node.values)
    if isinstance(node, ObjectValueNode):
        return any(_names_variable(f.value) for f in node.fields)
    return False


@dataclass(eq=False)
class OperationPlan:
    root: ObjectPlan
    # What the plan was compiled from: a field error reads the types along its path off it.
    schema: GraphQLSchema
    operation: OperationDefinitionNode
    fragments: Mapping[str, FragmentDefinitionNode]


def _mapping_of(field_def: GraphQLField) -> FieldMapping | None:
    definition = field_def.extensions.get("strawberry-definition")
    if definition is None:
        return None
    mapping: FieldMapping | None = definition.metadata.get(METADATA_KEY)
    return mapping


def _serializer(field_def: GraphQLField, from_database: bool) -> Callable[[Any], Any] | None:
    """How a leaf's value becomes JSON: None (as is), or a function.

    String, Int, Float, Boolean, ID and enums travel as the database gives them; custom scalars
    use their registered wire form where the value comes from the database, else serialize.
    """
    named = get_named_type(field_def.type)
    if not is_scalar_type(named) or named.name in specified_scalar_types:
        return None
    form = WIRE_FORMS.get(named.name)
    if form == "native":
        return None
    if form == "text" and from_database:
        return None
    assert isinstance(named, GraphQLScalarType)
    serialize = named.serialize
    return lambda value: None if value is None else serialize(value)


class _Compiler(FieldCollector):
    # Folds named so far in this operation (their aliases j1, j2, ...); counted per instance.
    fold_count = 0

    @staticmethod
    def _sub_selections(nodes: list[FieldNode]) -> list[SelectionSetNode]:
        return [n.selection_set for n in nodes if n.selection_set is not None]

    # --- plans -------------------------------------------------------------------------------

    def object_plan(
        self,
        runtime: GraphQLObjectType,
        selection_sets: list[SelectionSetNode],
        source: Source | None,
        path: tuple[str, ...],
    ) -> ObjectPlan:
        steps: list[tuple[str, str, Any]] = []
        columns: dict[str, None] = {"id": None} if source is not None else {}
        fetches: list[Fetch] = []
        folds: list[Fold] = []
        for key, nodes in self.collect(runtime, selection_sets).items():
            name = nodes[0].name.value
            if name == "__typename":
                steps.append((key, "const", runtime.name))
                continue
            field_def = runtime.fields[name]
            mapping = _mapping_of(field_def)
            if mapping is None:
                raise PlanningError(f"{runtime.name}.{name} has no mapping")
            if isinstance(mapping, Column | Value):
                column = mapping.column if isinstance(mapping, Column) else mapping.key
                columns[column] = None
                steps.append(
                    (key, "leaf", (column, _serializer(field_def, isinstance(mapping, Column))))
                )
            elif isinstance(mapping, Derived):
                columns.update(dict.fromkeys(mapping.needs))
                steps.append((key, "derived", (mapping.fn, _serializer(field_def, False))))
            elif isinstance(mapping, Embedded):
                target = get_named_type(field_def.type)
                assert isinstance(target, GraphQLObjectType)
                embedded = self.object_plan(target, self._sub_selections(nodes), None, (*path, key))
                if embedded.fetches:
                    raise PlanningError(f"{runtime.name}.{name}: embedded objects cannot fetch")
                steps.append((key, "embedded", (mapping.key, embedded.render)))
            elif isinstance(mapping, ToOne) and (
                projected := self.projected(field_def, nodes, mapping, (*path, key))
            ):
                child, pairs = projected
                columns.update(dict.fromkeys(p for _, p in pairs))
                steps.append((key, "projected", (mapping.key, child, pairs)))
            elif (
                isinstance(mapping, ToOne)
                and source is not None
                and (fold := self.fold(field_def, nodes, mapping, (*path, key)))
            ):
                folded, child = fold
                columns[mapping.key] = None
                folds.append(folded)
                pairs = tuple((c, f"{folded.alias}__{c}") for c in folded.columns)
                steps.append((key, "projected", (f"{folded.alias}__id", child, pairs)))
            else:
                fetch = self.fetch(key, field_def, nodes, mapping, (*path, key))
                columns[fetch.parent_column] = None
                steps.append((key, "fetch", (len(fetches), fetch.parent_column)))
                fetches.append(fetch)
        if source is None:
            # Rows built in Python carry exactly the keys their type's mappings name.
            columns = {}
        return ObjectPlan(
            type_name=runtime.name,
            source=source,
            columns=tuple(c for c in columns if source is None or c in source.columns),
            fetches=fetches,
            render=_generate_render(runtime.name, steps),
            folds=tuple(folds),
            steps=tuple(steps),
        )

    def fold(
        self,
        field_def: GraphQLField,
        nodes: list[FieldNode],
        mapping: ToOne,
        path: tuple[str, ...],
    ) -> tuple[Fold, ObjectPlan] | None:
        """A Fold and the child plan, when the child's selection reads nothing further."""
        target = get_named_type(field_def.type)
        assert isinstance(target, GraphQLObjectType)
        child = self.object_plan(target, self._sub_selections(nodes), SOURCES[mapping.source], path)
        if child.fetches or child.folds:
            return None
        self.fold_count += 1
        return Fold(f"j{self.fold_count}", mapping.source, mapping.key, child.columns), child

    def projected(
        self,
        field_def: GraphQLField,
        nodes: list[FieldNode],
        mapping: ToOne,
        path: tuple[str, ...],
    ) -> tuple[ObjectPlan, tuple[tuple[str, str], ...]] | None:
        """The child plan and (child column, parent column) pairs, when the parent row holds
        everything the child's selection needs; None when a statement is needed."""
        target = get_named_type(field_def.type)
        assert isinstance(target, GraphQLObjectType)
        child = self.object_plan(target, self._sub_selections(nodes), SOURCES[mapping.source], path)
        available = {"id": mapping.key, **mapping.projection}
        if child.fetches or not set(child.columns) <= available.keys():
            return None
        return child, tuple((c, available[c]) for c in child.columns)

    def fetch(
        self,
        key: str,
        field_def: GraphQLField,
        nodes: list[FieldNode],
        mapping: FieldMapping,
        path: tuple[str, ...],
    ) -> Fetch:
        target = get_named_type(field_def.type)
        sub = self._sub_selections(nodes)
        if isinstance(mapping, ToOne):
            assert isinstance(target, GraphQLObjectType)
            source = SOURCES[mapping.source]
            return Fetch(
                key, "one", mapping.key, field_def, nodes[0], path, mapping,
                plan=self.object_plan(target, sub, source, path),
            )  # fmt: skip
        if isinstance(mapping, ToOneList):
            assert isinstance(target, GraphQLObjectType)
            return Fetch(
                key, "each", mapping.key, field_def, nodes[0], path, mapping,
                plan=self.object_plan(target, sub, SOURCES[mapping.source], path),
            )  # fmt: skip
        if isinstance(mapping, Lookup):
            assert isinstance(target, GraphQLObjectType)
            return Fetch(
                key, "lookup", "__root", field_def, nodes[0], path, mapping,
                plan=self.object_plan(target, sub, SOURCES[mapping.source], path),
            )  # fmt: skip
        if isinstance(mapping, Many):
            assert isinstance(target, GraphQLObjectType)
            return Fetch(
                key, "many", mapping.parent_key, field_def, nodes[0], path, mapping,
                shape=self.connection_shape(target, sub, path),
            )  # fmt: skip
        if isinstance(mapping, Mutation | Subscribed):
            assert isinstance(target, GraphQLObjectType)
            return Fetch(
                key, "mutation", "__root", field_def, nodes[0], path, mapping,
                plan=self.object_plan(target, sub, None, path),
            )  # fmt: skip
        if isinstance(mapping, NodeById):
            assert isinstance(target, GraphQLAbstractType)
            plans = {
                t.name: self.object_plan(t, sub, SOURCE_BY_TYPE[t.name], path)
                for t in self.schema.get_possible_types(target)
            }
            return Fetch(
                key, "node", "__root", field_def, nodes[0], path, mapping, plans_by_type=plans
            )
        raise PlanningError(f"unsupported mapping {mapping!r} at {'.'.join(path)}")

    def connection_shape(
        self, connection: GraphQLObjectType, sub: list[SelectionSetNode], path: tuple[str, ...]
    ) -> ConnectionShape:
        parts: list[tuple[str, str, Any]] = []
        node_plans: list[ObjectPlan] = []
        with_total = False
        node_type = get_named_type(connection.fields["nodes"].type)
        assert isinstance(node_type, GraphQLObjectType)
        source = SOURCE_BY_TYPE[node_type.name]
        edge_type = get_named_type(connection.fields["edges"].type)
        page_info_type = get_named_type(connection.fields["pageInfo"].type)
        assert isinstance(edge_type, GraphQLObjectType)
        assert isinstance(page_info_type, GraphQLObjectType)
        for key, nodes in self.collect(connection, sub).items():
            name = nodes[0].name.value
            inner = self._sub_selections(nodes)
            if name == "__typename":
                parts.append((key, "const", connection.name))
            elif name == "totalCount":
                with_total = True
                parts.append((key, "totalCount", None))
            elif name == "pageInfo":
                fields = [
                    (k, n[0].name.value) for k, n in self.collect(page_info_type, inner).items()
                ]
                parts.append((key, "pageInfo", fields))
            elif name == "nodes":
                plan = self.object_plan(node_type, inner, source, (*path, key))
                node_plans.append(plan)
                parts.append((key, "nodes", plan))
            elif name == "edges":
                edge_parts: list[tuple[str, str, Any]] = []
                for edge_key, edge_nodes in self.collect(edge_type, inner).items():
                    edge_name = edge_nodes[0].name.value
                    if edge_name == "node":
                        plan = self.object_plan(
                            node_type,
                            self._sub_selections(edge_nodes),
                            source,
                            (*path, key, edge_key),
                        )
                        node_plans.append(plan)
                        edge_parts.append((edge_key, "node", plan))
                    elif edge_name == "__typename":
                        edge_parts.append((edge_key, "const", edge_type.name))
                    else:
                        edge_parts.append((edge_key, edge_name, None))
                parts.append((key, "edges", edge_parts))
            else:
                raise PlanningError(f"unknown connection field {connection.name}.{name}")
        columns = tuple(dict.fromkeys(itertools.chain(["id"], *(p.columns for p in node_plans))))
        folds = tuple(f for p in node_plans for f in p.folds)
        return ConnectionShape(parts, node_plans, columns, with_total, folds)


def _embed(render: Render, value: Any, ctx: ReadContext) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        return [render(item, ctx, ()) for item in value]
    return render(value, ctx, ())


def _serialized(
    value: str, serializer: Callable[[Any], Any] | None, name: str, namespace: dict[str, Any]
) -> str:
    """The source of `value` through its leaf serializer (bound to `name`), if it has one."""
    if serializer is None:
        return value
    namespace[name] = serializer
    return f"{name}({value})"


def _inline_literal(
    child: ObjectPlan, parent_column: dict[str, str], prefix: str, namespace: dict[str, Any]
) -> str | None:
    """A projected child's dict literal written over the parent's row, when the child's
    fields are all plain columns of it (a dashboard's `lastCheckIn`): no view dict and no call
    per row. None when the child needs its own render (derived fields read a row of its own)."""
    items: list[str] = []
    for j, (key, kind, detail) in enumerate(child.steps):
        if kind == "const":
            namespace[f"c{prefix}{j}"] = detail
            items.append(f"{key!r}: c{prefix}{j}")
            continue
        if kind != "leaf" or detail[0] not in parent_column:
            return None
        column, serializer = detail
        value = _serialized(
            f"row[{parent_column[column]!r}]", serializer, f"s{prefix}{j}", namespace
        )
        items.append(f"{key!r}: {value}")
    return f"{{{', '.join(items)}}}"


def _generate_render(type_name: str, steps: list[tuple[str, str, Any]]) -> Render:
    """Generate `render(row, ctx, queues) -> dict` for one selection of one type.

    A generated function builds each response dict with one literal (keys in request order,
    relations as None placeholders that keep their position when filled) instead of looping
    over field descriptors per row: the dashboard renders thousands of rows per request.
    """
    namespace: dict[str, Any] = {"_embed": _embed}
    items: list[str] = []
    queue_lines: list[str] = []
    for i, (key, kind, detail) in enumerate(steps):
        if kind == "const":
            namespace[f"c{i}"] = detail
            items.append(f"{key!r}: c{i}")
        elif kind == "leaf":
            column, serializer = detail
            value = _serialized(f"row[{column!r}]", serializer, f"s{i}", namespace)
            items.append(f"{key!r}: {value}")
        elif kind == "derived":
            fn, serializer = detail
            namespace[f"f{i}"] = fn
            items.append(
                f"{key!r}: {_serialized(f'f{i}(row, ctx)', serializer, f's{i}', namespace)}"
            )
        elif kind == "projected":
            key_column, child, pairs = detail
            inline = _inline_literal(child, dict(pairs), f"{i}_", namespace)
            if inline is None:
                namespace[f"r{i}"] = child.render
                view = ", ".join(f"{c!r}: row[{p!r}]" for c, p in pairs)
                inline = f"r{i}({{{view}}}, ctx, ())"
            items.append(f"{key!r}: None if row[{key_column!r}] is None else {inline}")
        elif kind == "embedded":
            column, embedded_render = detail
            namespace[f"e{i}"] = embedded_render
            items.append(f"{key!r}: _embed(e{i}, row[{column!r}], ctx)")
        else:
            queue_index, parent_column = detail
            items.append(f"{key!r}: None")
            queue_lines.append(f"    queues[{queue_index}].append((d, row[{parent_column!r}]))")
    source = "\n".join(
        [
            "def render(row, ctx, queues):",
            f"    d = {{{', '.join(items)}}}",
            *queue_lines,
            "    return d",
        ]
    )
    exec(compile(source, f"<render {type_name}>", "exec"), namespace)
    generated: Render = namespace["render"]
    return generated


def compile_operation(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> OperationPlan:
    root_type = schema.get_root_type(operation.operation)
    if root_type is None:
        raise GraphQLError(f"The schema has no {operation.operation.value} type.")
    compiler = _Compiler(schema, fragments, variables)
    root = compiler.object_plan(root_type, [operation.selection_set], None, ())
    return OperationPlan(root, schema, operation, fragments)
