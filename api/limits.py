"""Limits that keep hostile documents away from the database (the README's "Limits").

Everything here runs before any SQL: the token limit while parsing, the depth, alias and
directive limits as validation rules over the document, the query cost from the validated
document and the request's variables, and the per-caller leaky bucket that the cost drains.
Each refusal is a `GraphQLError` with a stable `extensions.code`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    ASTValidationRule,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    ValidationContext,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
    is_object_type,
    parse,
)
from graphql.execution.values import VariableValues, get_argument_values
from graphql.type import SchemaMetaFieldDef, TypeMetaFieldDef

from db.planner.collect import FieldCollector

DEPTH_LIMIT_EXCEEDED = "DEPTH_LIMIT_EXCEEDED"
TOO_MANY_ALIASES = "TOO_MANY_ALIASES"
TOO_MANY_DIRECTIVES = "TOO_MANY_DIRECTIVES"
TOO_MANY_TOKENS = "TOO_MANY_TOKENS"
QUERY_TOO_COSTLY = "QUERY_TOO_COSTLY"
RATE_LIMITED = "RATE_LIMITED"
INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
BAD_USER_INPUT = "BAD_USER_INPUT"

# A mutation field writes in a transaction of its own: it costs this much on top of the
# objects its payload selects.
MUTATION_FIELD_COST = 10

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The limits a document is checked against (hashable: part of the document cache key)."""

    max_depth: int
    max_aliases: int
    max_directives: int
    max_tokens: int
    max_page_size: int
    hide_suggestions: bool


# --- tokens -------------------------------------------------------------------------------


def parse_document(query: str, limits: DocumentLimits) -> DocumentNode:
    """Parse with the token limit (comments are bounded the same): the parser stops early."""
    try:
        return parse(
            query,
            max_lexical_tokens=limits.max_tokens,
            max_comments=limits.max_tokens,
        )
    except GraphQLSyntaxError as error:
        if "Parsing aborted." not in error.message:
            raise
        raise GraphQLError(
            f"The document has more than {limits.max_tokens} tokens.",
            extensions={"code": TOO_MANY_TOKENS, "maxTokens": limits.max_tokens},
        ) from None


# --- validation rules: depth, aliases, directives -----------------------------------------


class MaxDepthRule(ASTValidationRule):
    """The longest path of fields from an operation's root, fragments expanded.

    `{ organization { name } }` is 2 deep. Fields inside `__schema`/`__type` do not count:
    introspection reads no database, graphql-core's MaxIntrospectionDepthRule bounds it, and
    GraphiQL's own introspection query is 15 deep.
    """

    limit = 12

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.fragment_depths: dict[str, int] = {}
        self.visiting: set[str] = set()

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        depth = self._depth(node.selection_set)
        if depth > self.limit:
            name = f"Operation {node.name.value!r}" if node.name else "The operation"
            self.report_error(
                GraphQLError(
                    f"{name} is nested {depth} levels deep; at most {self.limit} are allowed.",
                    node,
                    extensions={
                        "code": DEPTH_LIMIT_EXCEEDED,
                        "depth": depth,
                        "maxDepth": self.limit,
                    },
                )
            )

    def _depth(self, selection_set: SelectionSetNode | None) -> int:
        if selection_set is None:
            return 0
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    depth = 1
                else:
                    depth = 1 + self._depth(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                depth = self._depth(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                depth = self._fragment_depth(selection.name.value)
            else:  # pragma: no cover - no other selection kinds exist
                continue
            deepest = max(deepest, depth)
        return deepest

    def _fragment_depth(self, name: str) -> int:
        known = self.fragment_depths.get(name)
        if known is not None:
            return known
        fragment = self.context.get_fragment(name)
        if fragment is None or name in self.visiting:
            return 0  # unknown fragments and cycles are the standard rules' to report
        self.visiting.add(name)
        depth = self._depth(fragment.selection_set)
        self.visiting.discard(name)
        self.fragment_depths[name] = depth
        return depth


class MaxAliasesRule(ASTValidationRule):
    """Aliases in the whole document: each one is another execution of its field."""

    limit = 50

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.count += 1

    def leave_document(self, node: DocumentNode, *_: Any) -> None:
        if self.count > self.limit:
            self.report_error(
                GraphQLError(
                    f"The document has {self.count} aliases; at most {self.limit} are allowed.",
                    extensions={
                        "code": TOO_MANY_ALIASES,
                        "aliases": self.count,
                        "maxAliases": self.limit,
                    },
                )
            )


class MaxDirectivesRule(ASTValidationRule):
    """Directives in the whole document (wherever they stand)."""

    limit = 50

    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
        self.count += 1

    def leave_document(self, node: DocumentNode, *_: Any) -> None:
        if self.count > self.limit:
            self.report_error(
                GraphQLError(
                    f"The document has {self.count} directives; at most {self.limit} are allowed.",
                    extensions={
                        "code": TOO_MANY_DIRECTIVES,
                        "directives": self.count,
                        "maxDirectives": self.limit,
                    },
                )
            )


_rule_cache: dict[tuple[int, int, int], tuple[type[ASTValidationRule], ...]] = {}


def limit_rules(limits: DocumentLimits) -> tuple[type[ASTValidationRule], ...]:
    """The three rules bound to these limits (classes, as graphql-core's `validate` wants)."""
    key = (limits.max_depth, limits.max_aliases, limits.max_directives)
    rules = _rule_cache.get(key)
    if rules is None:
        rules = tuple(
            type(rule.__name__, (rule,), {"limit": limit})
            for rule, limit in (
                (MaxDepthRule, limits.max_depth),
                (MaxAliasesRule, limits.max_aliases),
                (MaxDirectivesRule, limits.max_directives),
            )
        )
        _rule_cache[key] = rules
    return rules


# --- introspection --------------------------------------------------------------------------


def uses_schema_introspection(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> bool:
    """Whether the operation reads `__schema` or `__type` (root fields, fragments expanded).

    Directives are ignored on purpose: `__schema @skip(if: $no)` still asks for the schema.
    """
    seen: set[str] = set()

    def walk(selection_set: SelectionSetNode) -> bool:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                if walk(selection.selection_set):
                    return True
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if name not in seen and fragment is not None:
                    seen.add(name)
                    if walk(fragment.selection_set):
                        return True
        return False

    return walk(operation.selection_set)


def introspection_disabled_error() -> GraphQLError:
    return GraphQLError(
        "Introspection is only available to administrators.",
        extensions={"code": INTROSPECTION_DISABLED},
    )


# --- query cost -----------------------------------------------------------------------------


def query_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: VariableValues,
    max_page_size: int,
) -> int:
    """The cost of running `operation` with these variables: 1 per object it may return.

    An object field costs 1 plus its selection; a connection costs 1 plus its `pageInfo`
    etc. plus `first` times the cost of one item (its node: 1 plus the node's selection);
    `nodes(ids:)` costs the number of ids times one node; a mutation field costs
    MUTATION_FIELD_COST more. @skip/@include are applied; on an abstract type the costliest
    possible type counts. `first` outside 0..max_page_size, or more ids than that, is a
    BAD_USER_INPUT error here, before anything runs.
    """
    counter = _CostCounter(schema, fragments, variables, max_page_size)
    root = schema.get_root_type(operation.operation)
    if root is None:  # pragma: no cover - validation refuses unknown operation types
        return 0
    cost = counter.selection_cost(root, (operation.selection_set,), ())
    if operation.operation is OperationType.MUTATION:
        cost += MUTATION_FIELD_COST * len(counter.collect(root, (operation.selection_set,)))
    return cost


def too_costly_error(cost: int, limit: int) -> GraphQLError:
    return GraphQLError(
        f"The query costs {cost}, more than the {limit} one request may cost: ask for "
        "smaller pages (`first`) or fewer nested connections.",
        extensions={"code": QUERY_TOO_COSTLY, "cost": cost, "maxCost": limit},
    )


def cost_variables(document: DocumentNode) -> tuple[str, ...]:
    """The variables a cost can depend on: `first`, `ids`, and those of @skip/@include."""
    names: set[str] = set()

    def variables_in(value: Any) -> Iterable[str]:
        kind = getattr(value, "kind", None)
        if kind == "variable":
            yield value.name.value
        elif kind == "list_value":
            for item in value.values:
                yield from variables_in(item)

    def walk(node: Any) -> None:
        if isinstance(node, FieldNode):
            for argument in node.arguments or ():
                if argument.name.value in ("first", "ids"):
                    names.update(variables_in(argument.value))
        for directive in getattr(node, "directives", None) or ():
            if directive.name.value in ("skip", "include"):
                for argument in directive.arguments or ():
                    names.update(variables_in(argument.value))
        selection_set = getattr(node, "selection_set", None)
        if selection_set is not None:
            for selection in selection_set.selections:
                walk(selection)

    for definition in document.definitions:
        walk(definition)
    return tuple(sorted(names))


def cost_shape(names: Sequence[str], coerced: Mapping[str, Any]) -> tuple[Hashable, ...]:
    """What of the variables a cost depends on: values, and the length of lists."""
    shape: list[Hashable] = []
    for name in names:
        value = coerced.get(name)
        shape.append(("len", len(value)) if isinstance(value, list) else value)
    return tuple(shape)


def _bad_input(message: str, node: FieldNode, path: Sequence[str]) -> GraphQLError:
    return GraphQLError(message, node, path=list(path), extensions={"code": BAD_USER_INPUT})


class _CostCounter(FieldCollector):
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: VariableValues,
        max_page_size: int,
    ) -> None:
        super().__init__(schema, fragments, variables.coerced)
        self.variable_values = variables
        self.max_page_size = max_page_size
        # A selection is costed once per type: fragments spread many times cost no more time.
        self.memo: dict[tuple[str, tuple[int, ...]], int] = {}

    def selection_cost(
        self,
        runtime: GraphQLObjectType,
        selection_sets: Sequence[SelectionSetNode],
        path: tuple[str, ...],
    ) -> int:
        key = (runtime.name, tuple(id(s) for s in selection_sets))
        known = self.memo.get(key)
        if known is not None:
            return known
        total = 0
        for response_key, nodes in self.collect(runtime, selection_sets).items():
            field_def = self._field(runtime, nodes[0].name.value)
            if field_def is not None:
                total += self.field_cost(field_def, nodes, (*path, response_key))
        self.memo[key] = total
        return total

    @staticmethod
    def _field(parent: GraphQLObjectType, name: str) -> GraphQLField | None:
        if name == "__schema":
            return SchemaMetaFieldDef
        if name == "__type":
            return TypeMetaFieldDef
        field_def: GraphQLField | None = parent.fields.get(name)
        return field_def  # None for __typename: a leaf, costs nothing

    def _arguments(self, field_def: GraphQLField, node: FieldNode) -> dict[str, Any]:
        if not field_def.args:
            return {}
        return get_argument_values(field_def, node, self.variable_values)

    def field_cost(
        self, field_def: GraphQLField, nodes: list[FieldNode], path: tuple[str, ...]
    ) -> int:
        named = get_named_type(field_def.type)
        if is_leaf_type(named):
            return 0
        selection_sets = [n.selection_set for n in nodes if n.selection_set is not None]
        arguments = self._arguments(field_def, nodes[0])
        if "first" in field_def.args:
            first = arguments.get("first")
            if not isinstance(first, int) or not 0 <= first <= self.max_page_size:
                raise _bad_input(
                    f"`first` must be between 0 and {self.max_page_size}.", nodes[0], path
                )
            fixed, per_item = self._connection_cost(named, selection_sets, path)
            return 1 + fixed + first * per_item
        count = 1
        ids = arguments.get("ids")
        if isinstance(ids, list):
            if len(ids) > self.max_page_size:
                raise _bad_input(
                    f"At most {self.max_page_size} ids can be fetched at once.", nodes[0], path
                )
            count = len(ids)
        return count * (1 + self._object_cost(named, selection_sets, path))

    def _object_cost(
        self,
        named: GraphQLNamedType,
        selection_sets: Sequence[SelectionSetNode],
        path: tuple[str, ...],
    ) -> int:
        if isinstance(named, GraphQLObjectType):
            return self.selection_cost(named, selection_sets, path)
        if is_abstract_type(named):
            possible = self.schema.get_possible_types(named)  # type: ignore[arg-type]
            return max((self.selection_cost(t, selection_sets, path) for t in possible), default=0)
        return 0  # pragma: no cover - leaves are handled by the caller

    def _connection_cost(
        self,
        connection: GraphQLNamedType,
        selection_sets: Sequence[SelectionSetNode],
        path: tuple[str, ...],
    ) -> tuple[int, int]:
        """(what the connection costs once, what each item of the page costs)."""
        if not is_object_type(connection):  # pragma: no cover - connections are objects
            return 0, 0
        assert isinstance(connection, GraphQLObjectType)
        fixed = per_item = 0
        for response_key, nodes in self.collect(connection, selection_sets).items():
            name = nodes[0].name.value
            field_def = self._field(connection, name)
            if field_def is None:
                continue
            sub_path = (*path, response_key)
            sub_sets = [n.selection_set for n in nodes if n.selection_set is not None]
            item_type = get_named_type(field_def.type)
            if name == "nodes":
                per_item += 1 + self._object_cost(item_type, sub_sets, sub_path)
            elif name == "edges":
                # An edge is a wrapper: its `node` costs 1 plus its selection.
                per_item += self._object_cost(item_type, sub_sets, sub_path)
            else:
                fixed += self.field_cost(field_def, nodes, sub_path)
        return fixed, per_item


# --- rate limiting --------------------------------------------------------------------------


@dataclass(slots=True)
class _Bucket:
    level: float
    updated: float


class LeakyBucket:
    """Cost points per caller, leaking at `rate` per second, holding at most `capacity`.

    Held in this process's memory: each instance of the API limits on its own. A request
    fits when its cost fits in what the caller's bucket has room for; one that costs more
    than the whole capacity runs when the bucket is empty (keep capacity >= the maximum
    query cost).
    """

    def __init__(
        self,
        capacity: float,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_callers: int = 100_000,
    ) -> None:
        self.capacity = capacity
        self.rate = rate
        self.clock = clock
        self.max_callers = max_callers
        self.buckets: dict[Hashable, _Bucket] = {}

    def _level(self, bucket: _Bucket, now: float) -> float:
        return max(0.0, bucket.level - (now - bucket.updated) * self.rate)

    def acquire(self, caller: Hashable, cost: int) -> float | None:
        """Take `cost` from the caller's bucket: None, or the seconds until it would fit."""
        now = self.clock()
        bucket = self.buckets.get(caller)
        level = self._level(bucket, now) if bucket is not None else 0.0
        if level > 0 and level + cost > self.capacity:
            overflow = level + cost - self.capacity if cost <= self.capacity else level
            return overflow / self.rate if self.rate > 0 else math.inf
        if bucket is None:
            self._make_room(now)
            self.buckets[caller] = _Bucket(level + cost, now)
        else:
            bucket.level, bucket.updated = level + cost, now
        return None

    def remaining(self, caller: Hashable) -> float:
        bucket = self.buckets.get(caller)
        if bucket is None:
            return self.capacity
        return max(0.0, self.capacity - self._level(bucket, self.clock()))

    def _make_room(self, now: float) -> None:
        if len(self.buckets) < self.max_callers:
            return
        # Forget the callers whose buckets have drained: they start empty anyway.
        for caller in [c for c, b in self.buckets.items() if self._level(b, now) == 0]:
            del self.buckets[caller]
        while len(self.buckets) >= self.max_callers:  # all busy: forget the oldest
            del self.buckets[next(iter(self.buckets))]


def caller_key(identity: Any) -> Hashable:
    """Whose bucket a request drains: its API key, else its user in its organisation."""
    api_key_id = getattr(identity, "api_key_id", None)
    if api_key_id is not None:
        return ("api-key", api_key_id)
    return ("user", identity.organization_id, identity.user_id)


def rate_limited_error(cost: int, retry_after: float) -> GraphQLError:
    seconds = retry_after_seconds(retry_after)
    return GraphQLError(
        f"Rate limit exceeded: this request costs {cost}; retry in {seconds} s.",
        extensions={"code": RATE_LIMITED, "cost": cost, "retryAfter": seconds},
    )


def bucket_of(app: Any) -> LeakyBucket | None:
    """The app's cost buckets (made on first use), or None when rate limiting is off."""
    settings = app.state.settings
    if settings.rate_limit_capacity <= 0:
        return None
    limiter: LeakyBucket | None = getattr(app.state, "rate_limiter", None)
    if limiter is None:
        limiter = LeakyBucket(settings.rate_limit_capacity, settings.rate_limit_refill_per_second)
        app.state.rate_limiter = limiter
    return limiter


def admission_error(
    limiter: LeakyBucket | None, identity: Any, cost: int, max_cost: int
) -> GraphQLError | None:
    """Why a request of `cost` may not start (too costly, or the caller's bucket is full),
    charging the caller's bucket when it may: the one rule of every transport."""
    if cost > max_cost:
        return too_costly_error(cost, max_cost)
    if limiter is None:
        return None
    retry_after = limiter.acquire(caller_key(identity), cost)
    return None if retry_after is None else rate_limited_error(cost, retry_after)


def retry_after_seconds(retry_after: float) -> int:
    if math.isinf(retry_after):
        return 3600
    return max(1, math.ceil(retry_after))
