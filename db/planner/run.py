"""Execute an operation plan: one statement per relation of the selection, level by level.

Rendering a level's rows queues, per relation, the parent dicts still waiting for it with
their keys; each queue then becomes a single statement for all of its parents. The number of
statements is fixed by the selection, whatever the number of rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from graphql import GraphQLError
from graphql.execution.values import VariableValues, get_argument_values

from db.catalog import RELATIONS, SOURCE_BY_TYPE, SOURCES, Order
from db.planner import cursors
from db.planner.mapping import Lookup, Many, Mutation, NodeById, ReadContext, Subscribed
from db.planner.partial import Failure, complete
from db.planner.plan import ConnectionShape, Fetch, ObjectPlan, OperationPlan
from db.planner.sql import (
    ROW_KEY_PREFIX,
    batch_sql,
    by_key_names,
    by_key_sql,
    connection_names,
    connection_sql,
    lookup_sql,
    order_of,
)

if TYPE_CHECKING:
    from db.planner.trace import PlanTrace

Entries = list[tuple[dict[str, Any], Any]]


class Connection(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...


class Limits(Protocol):
    max_page_size: int
    # Off only in a test showing that row-level security alone keeps organisations apart.
    application_tenant_filter: bool


class NoPayloadError(Exception):
    """A subscription field's event does not concern this subscriber: nothing to send."""


def bad_input(message: str) -> GraphQLError:
    # Without a path: whoever reports the error locates it (partial.py, or graphql-core for
    # the standard executor), once per response path.
    return GraphQLError(message, extensions={"code": "BAD_USER_INPUT"})


def admins_only_refusal(source_name: str, ctx: ReadContext) -> GraphQLError | None:
    """FORBIDDEN when a non-admin reaches administration data, by whatever path."""
    if SOURCES[source_name].admins_only and not ctx.actor.is_admin:
        return GraphQLError("Only admins may read this.", extensions={"code": "FORBIDDEN"})
    return None


def refusal(mapping: Many, ctx: ReadContext) -> GraphQLError | None:
    """FORBIDDEN when the caller may not read the connection at all (`Many.refuse`)."""
    message = None if mapping.refuse is None else mapping.refuse(ctx)
    if message is None:
        return None
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def page_arguments(
    mapping: Many, args: Mapping[str, Any], max_page_size: int
) -> tuple[int, str | None, list[str], list[Any], str | None]:
    """A connection's arguments as (first, after, filter names, filter values, order name)."""
    first: int = args["first"]
    if not 0 <= first <= max_page_size:
        raise bad_input(f"`first` must be between 0 and {max_page_size}.")
    filter_names: list[str] = []
    filter_values: list[Any] = []
    given = args.get("filter")
    if given is not None:
        for attribute, spec in mapping.filters.items():
            value = given.get(attribute)
            if value is None:
                continue
            try:
                converted = spec.convert(value)
            except GraphQLError as error:
                raise bad_input(error.message) from None
            filter_names.append(spec.filter)
            filter_values.append(converted)
    for argument, spec in mapping.arguments.items():
        value = args.get(argument)
        if value is None:
            continue
        try:
            converted = spec.convert(value)
        except GraphQLError as error:
            raise bad_input(error.message) from None
        filter_names.append(spec.filter)
        filter_values.append(converted)
    order_name: str | None = None
    order = args.get("orderBy")
    if order is not None:
        order_name = mapping.orders[str(order["field"])]
        if str(order.get("direction")) == "DESC":
            order_name += "_desc"
    return first, args.get("after"), filter_names, filter_values, order_name


async def execute(
    plan: OperationPlan,
    conn: Connection,
    ctx: ReadContext,
    variables: VariableValues,
    root_row: dict[str, Any],
    limits: Limits,
    use_case_context: Any = None,
    trace: PlanTrace | None = None,
) -> dict[str, Any]:
    """The response (`data`, and `errors` if a field failed): render the plan's root from
    `root_row`, then fetch and fill every relation.

    A mutation's root fields come first in the queue, so they run one after the other, in
    document order, before anything is read; `use_case_context` is what they receive, and
    their refusal fails the whole operation (its transaction leaves nothing). A read that
    fails is a field error: null where it was asked for, the rest of the answer kept
    (db/planner/partial.py). With a `trace` (a request that asked for its plan, `conn` its
    TracedConnection), each statement is recorded with the fetches it serves.
    """
    runner = (
        _Runner(conn, ctx, variables, limits, use_case_context)
        if trace is None
        else _TracedRunner(trace, conn, ctx, variables, limits, use_case_context)
    )
    queues: list[Entries] = [[] for _ in plan.root.fetches]
    data = plan.root.render(root_row, ctx, queues)
    work = deque(zip(plan.root.fetches, queues, strict=True))
    while work:
        fetch, entries = work.popleft()
        if fetch.kind not in _BATCHED:
            if not entries:
                continue
            try:
                work.extend(await runner.run(fetch, entries))
            except GraphQLError as error:
                if fetch.kind == "mutation":
                    raise
                runner.fail(fetch, entries, error)
            continue
        # The relations queued side by side are independent of each other (their parents are
        # rendered): one round trip serves them all.
        batch = [(fetch, entries)]
        while work and work[0][0].kind in _BATCHED:
            batch.append(work.popleft())
        work.extend(await runner.run_batch([(f, e) for f, e in batch if e]))
    if runner.failures:
        return complete(data, runner.failures, plan.schema, plan.operation, plan.fragments)
    return {"data": data}


# Fetch kinds whose statement only reads: consecutive ones in the queue share a round trip.
_BATCHED = frozenset({"one", "many"})


@dataclass(frozen=True, slots=True)
class _Statement:
    """A relation's statement, and what turns its rows into the next level's work."""

    sql: str
    names: tuple[str, ...]
    args: tuple[Any, ...]
    finish: Callable[[Sequence[Any]], list[tuple[Fetch, Entries]]]


class _Runner:
    def __init__(
        self,
        conn: Connection,
        ctx: ReadContext,
        variables: VariableValues,
        limits: Limits,
        use_case_context: Any,
    ) -> None:
        self.use_case_context = use_case_context
        self.tenant_filter = limits.application_tenant_filter
        self.conn = conn
        self.ctx = ctx
        self.variables = variables
        self.limits = limits
        self.statements = 0
        self.failures: list[Failure] = []

    def fail(self, fetch: Fetch, entries: Entries, error: GraphQLError) -> None:
        """The relation is null for each of its parents (their placeholders stay None)."""
        self.failures.append(
            Failure(error, fetch.field_node, fetch.key, [parent for parent, _ in entries])
        )

    def _arguments(self, fetch: Fetch) -> Mapping[str, Any]:
        """A read's arguments, coerced once per plan when they are all literals."""
        if fetch.constant_arguments is not None:
            return fetch.constant_arguments
        args = get_argument_values(fetch.field_def, fetch.field_node, self.variables)
        if fetch.arguments_are_constant:
            fetch.constant_arguments = MappingProxyType(args)
        return args

    async def _fetch(self, sql: str, *args: Any) -> list[Any]:
        self.statements += 1
        return await self.conn.fetch(sql, self.ctx.organization_id, *args)

    def _render_all(
        self, plan: ObjectPlan, rows: Sequence[Any]
    ) -> tuple[list[dict[str, Any]], list[tuple[Fetch, Entries]]]:
        queues: list[Entries] = [[] for _ in plan.fetches]
        render, ctx = plan.render, self.ctx
        rendered = [render(row, ctx, queues) for row in rows]
        return rendered, list(zip(plan.fetches, queues, strict=True))

    async def run_batch(self, batch: list[tuple[Fetch, Entries]]) -> list[tuple[Fetch, Entries]]:
        """Several relations of a level in one statement (each one alone if it is alone)."""
        statements: list[_Statement] = []
        next_work: list[tuple[Fetch, Entries]] = []
        for fetch, entries in batch:
            try:
                prepared = (
                    self._prepare_one(fetch, entries)
                    if fetch.kind == "one"
                    else self._prepare_many(fetch, entries)
                )
            except GraphQLError as error:
                self.fail(fetch, entries, error)
                continue
            if isinstance(prepared, _Statement):
                statements.append(prepared)
            else:
                next_work.extend(prepared)
        for st, rows in zip(statements, await self._fetch_all(statements), strict=True):
            next_work.extend(st.finish(rows))
        return next_work

    async def _fetch_all(self, statements: Sequence[_Statement]) -> list[Sequence[Any]]:
        """Each statement's rows, in one round trip (none for no statement)."""
        if len(statements) <= 1:
            return [await self._fetch(st.sql, *st.args) for st in statements]
        sql = batch_sql(tuple((st.sql, st.names) for st in statements))
        rows = await self._fetch(sql, *(a for st in statements for a in st.args))
        parts: list[list[dict[str, Any]]] = [[] for _ in statements]
        columns = [[(name, f"{i}.{name}") for name in st.names] for i, st in enumerate(statements)]
        for row in rows:
            i = row["__part"]
            if row[f"{i}.__row"]:
                parts[i].append({name: row[label] for name, label in columns[i]})
        return list(parts)

    async def run(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        if fetch.kind == "mutation":
            return await self._run_mutation(fetch, entries)
        if fetch.kind == "lookup":
            return await self._run_lookup(fetch, entries)
        if fetch.kind == "each":
            return await self._run_each(fetch, entries)
        return await self._run_node(fetch, entries)

    async def _run_each(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        plan = fetch.plan
        assert plan is not None
        assert plan.source is not None
        keys = list({k for _, ks in entries for k in ks or () if k is not None})
        rows = (
            await self._fetch(
                by_key_sql(plan.source.name, plan.columns, plan.folds, self.tenant_filter), keys
            )
            if keys
            else []
        )
        rendered, next_work = self._render_all(plan, rows)
        by_id = {row["id"]: d for row, d in zip(rows, rendered, strict=True)}
        for parent, ks in entries:
            parent[fetch.key] = None if ks is None else [by_id.get(k) for k in ks]
        return next_work

    async def _run_lookup(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        mapping, plan = fetch.mapping, fetch.plan
        assert isinstance(mapping, Lookup)
        assert plan is not None
        assert plan.source is not None
        args = self._arguments(fetch)
        sql = lookup_sql(
            plan.source.name, mapping.lookup, plan.columns, plan.folds, self.tenant_filter
        )
        rows = await self._fetch(sql, mapping.convert(args[mapping.argument]))
        rendered, next_work = self._render_all(plan, rows)
        for parent, _ in entries:
            parent[fetch.key] = rendered[0] if rendered else None
        return next_work

    async def _run_mutation(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        """A mutation's use case, or a subscription's event: the payload row it yields."""
        mapping = fetch.mapping
        assert isinstance(mapping, Mutation | Subscribed)
        assert fetch.plan is not None
        args = get_argument_values(fetch.field_def, fetch.field_node, self.variables)
        try:
            payload = await mapping.run(self.use_case_context, args)
        except GraphQLError as error:
            if error.path is not None:
                raise
            # A refusal of the field (FORBIDDEN): on its path, as the standard executor puts it.
            raise GraphQLError(
                error.message,
                nodes=[fetch.field_node],
                path=list(fetch.path),
                extensions=error.extensions,
            ) from None
        if payload is None:
            raise NoPayloadError
        rendered, next_work = self._render_all(fetch.plan, [payload])
        for parent, _ in entries:
            parent[fetch.key] = rendered[0]
        return next_work

    def _prepare_one(
        self, fetch: Fetch, entries: Entries
    ) -> _Statement | list[tuple[Fetch, Entries]]:
        plan = fetch.plan
        assert plan is not None
        assert plan.source is not None
        if error := admins_only_refusal(plan.source.name, self.ctx):
            raise error
        keys = list({k for _, k in entries if k is not None})

        def finish(rows: Sequence[Any]) -> list[tuple[Fetch, Entries]]:
            rendered, next_work = self._render_all(plan, rows)
            # Parents that share a row share its dict: it is only read from here on.
            by_id = {row["id"]: d for row, d in zip(rows, rendered, strict=True)}
            key = fetch.key
            for parent, k in entries:
                parent[key] = by_id.get(k)
            return next_work

        if not keys:
            return finish([])
        return _Statement(
            by_key_sql(plan.source.name, plan.columns, plan.folds, self.tenant_filter),
            by_key_names(plan.columns, plan.folds),
            (keys,),
            finish,
        )

    async def _run_node(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        from db.ids import decode_id

        mapping = fetch.mapping
        assert isinstance(mapping, NodeById)
        args = self._arguments(fetch)
        raw_ids: list[Any] = args["ids"] if mapping.many else [args["id"]]
        if len(raw_ids) > self.limits.max_page_size:
            raise bad_input(f"At most {self.limits.max_page_size} ids can be fetched at once.")
        decoded = [decode_id(raw) for raw in raw_ids]
        by_type: dict[str, list[int]] = {}
        for type_name, pk in decoded:
            by_type.setdefault(type_name, []).append(pk)
        found: dict[tuple[str, int], dict[str, Any]] = {}
        next_work: list[tuple[Fetch, Entries]] = []
        for type_name, pks in by_type.items():
            if error := admins_only_refusal(SOURCE_BY_TYPE[type_name].name, self.ctx):
                raise error
            plan = fetch.plans_by_type[type_name]
            source = SOURCE_BY_TYPE[type_name]
            node = _Statement(
                by_key_sql(source.name, plan.columns, plan.folds, self.tenant_filter),
                by_key_names(plan.columns, plan.folds),
                (pks,),
                lambda rows: [],
            )
            ahead = self._prepare_pages_of(plan, pks)
            rows, *ahead_rows = await self._fetch_all([node, *(st for _, st, _ in ahead)])
            rendered, work = self._render_all(plan, rows)
            by_fetch = {
                id(f): (st, pending, r)
                for (f, st, pending), r in zip(ahead, ahead_rows, strict=True)
            }
            for nested, nested_entries in work:
                if id(nested) not in by_fetch:
                    next_work.append((nested, nested_entries))
                    continue
                st, pending, nested_rows = by_fetch[id(nested)]
                pending.extend(nested_entries)
                next_work.extend(st.finish(nested_rows))
            for row, d in zip(rows, rendered, strict=True):
                found[(type_name, row["id"])] = d
        results = [found.get(key) for key in decoded]
        for parent, _ in entries:
            parent[fetch.key] = results if mapping.many else results[0]
        return next_work

    def _prepare_pages_of(
        self, plan: ObjectPlan, pks: list[int]
    ) -> list[tuple[Fetch, _Statement, Entries]]:
        """The pages of one node fetched by id, prepared before the node is read: their parent
        key is the id the request names, so they can share the node's round trip. Each comes
        with the (still empty) entries list its finish will read once the node is rendered.
        Only for a single id (the page statement numbers parents in key order), and only
        pages the caller may read (a refusal is left to the usual path, which raises it only
        when the node exists)."""
        if len(pks) != 1:
            return []
        ahead = []
        for nested in plan.fetches:
            if nested.kind != "many" or nested.parent_column != "id":
                continue
            pending: Entries = []
            try:
                statement = self._prepare_many(nested, pending, keys=pks)
            except GraphQLError:
                continue
            ahead.append((nested, statement, pending))
        return ahead

    def _prepare_many(
        self, fetch: Fetch, entries: Entries, keys: list[Any] | None = None
    ) -> _Statement:
        mapping = fetch.mapping
        shape = fetch.shape
        assert isinstance(mapping, Many)
        assert shape is not None
        refused = refusal(mapping, self.ctx) or admins_only_refusal(
            RELATIONS[mapping.relation].source, self.ctx
        )
        if refused is not None:
            raise refused
        args = self._arguments(fetch)
        first, after, filter_names, filter_values, order_name = page_arguments(
            mapping, args, self.limits.max_page_size
        )
        relation = RELATIONS[mapping.relation]
        order = order_of(relation, order_name)
        cursor_values = [] if after is None else cursors.decode(after, order)
        if keys is None:
            keys = list(dict.fromkeys(k for _, k in entries if k is not None))
        sql = connection_sql(
            mapping.relation,
            shape.columns,
            tuple(filter_names),
            order_name,
            after is not None,
            shape.with_total,
            shape.folds,
            self.tenant_filter,
        )
        names = connection_names(shape.columns, len(order.keys), shape.with_total, shape.folds)
        return _Statement(
            sql,
            names,
            (keys, first + 1, *filter_values, *cursor_values),
            lambda rows: self._finish_many(fetch, entries, rows, first, after, order),
        )

    def _finish_many(
        self,
        fetch: Fetch,
        entries: Entries,
        rows: Sequence[Any],
        first: int,
        after: str | None,
        order: Order,
    ) -> list[tuple[Fetch, Entries]]:
        shape = fetch.shape
        assert shape is not None
        keys = list(dict.fromkeys(k for _, k in entries if k is not None))
        groups: dict[int, list[Any]] = {}
        totals: dict[int, int] = {}
        last_key = f"{ROW_KEY_PREFIX}{len(order.keys) - 1}"
        if shape.with_total:
            for row in rows:
                idx = row["__idx"]
                totals[idx] = row["__total"]
                if row[last_key] is not None:  # else a parent without rows, kept for its count
                    groups.setdefault(idx, []).append(row)
        else:
            for row in rows:  # a dashboard's thousands of key results: the loop stays lean
                groups.setdefault(row["__idx"], []).append(row)
        cursor_of = _cursor_maker(order)
        position = {k: i + 1 for i, k in enumerate(keys)}
        # Each node plan's own relations, queued across every parent's page.
        work: dict[int, list[tuple[Fetch, Entries]]] = {
            id(p): [(f, []) for f in p.fetches] for p in shape.node_plans
        }
        queues = {pid: [entries for _, entries in pairs] for pid, pairs in work.items()}
        key = fetch.key
        for parent, k in entries:
            idx = position.get(k, 0)
            page = groups.get(idx, [])
            has_next = len(page) > first
            if has_next:
                page = page[:first]
            parent[key] = self._render_connection(
                shape, page, has_next, after is not None, totals.get(idx, 0), cursor_of, queues
            )
        return [pair for pairs in work.values() for pair in pairs]

    def _render_connection(
        self,
        shape: ConnectionShape,
        page: list[Any],
        has_next: bool,
        has_previous: bool,
        total: int,
        cursor_of: Callable[[Any], str],
        queues: dict[int, list[Entries]],
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, part, detail in shape.parts:
            if part == "nodes":
                out[key] = self._render_nodes(detail, page, queues)
            elif part == "edges":
                out[key] = self._render_edges(detail, page, cursor_of, queues)
            elif part == "totalCount":
                out[key] = total
            elif part == "pageInfo":
                info: dict[str, Any] = {}
                for info_key, name in detail:
                    if name == "hasNextPage":
                        info[info_key] = has_next
                    elif name == "hasPreviousPage":
                        info[info_key] = has_previous
                    elif name == "startCursor":
                        info[info_key] = cursor_of(page[0]) if page else None
                    elif name == "endCursor":
                        info[info_key] = cursor_of(page[-1]) if page else None
                    else:  # __typename
                        info[info_key] = "PageInfo"
                out[key] = info
            else:  # const
                out[key] = detail
        return out

    def _render_nodes(
        self, plan: ObjectPlan, page: list[Any], queues: dict[int, list[Entries]]
    ) -> list[dict[str, Any]]:
        plan_queues = queues[id(plan)]
        render, ctx = plan.render, self.ctx
        return [render(row, ctx, plan_queues) for row in page]

    def _render_edges(
        self,
        parts: list[tuple[str, str, Any]],
        page: list[Any],
        cursor_of: Callable[[Any], str],
        queues: dict[int, list[Entries]],
    ) -> list[dict[str, Any]]:
        edges: list[dict[str, Any]] = []
        for row in page:
            edge: dict[str, Any] = {}
            for key, part, detail in parts:
                if part == "node":
                    edge[key] = detail.render(row, self.ctx, queues[id(detail)])
                elif part == "cursor":
                    edge[key] = cursor_of(row)
                else:  # const
                    edge[key] = detail
            edges.append(edge)
        return edges


class _TracedRunner(_Runner):
    """Tells the trace which fetches each statement serves, for a request that asked for its
    plan: the common runner has no such step, not even a check."""

    def __init__(self, trace: PlanTrace, *args: Any) -> None:
        super().__init__(*args)
        self.trace = trace
        self.served: dict[int, tuple[str, ...]] = {}  # by id() of a prepared statement
        self.running: tuple[str, ...] = ()

    async def run(self, fetch: Fetch, entries: Entries) -> list[tuple[Fetch, Entries]]:
        self.running = fetch.path
        self.trace.serving = (fetch.path,)
        try:
            return await super().run(fetch, entries)
        finally:
            self.trace.serving = ()

    def _prepare_one(
        self, fetch: Fetch, entries: Entries
    ) -> _Statement | list[tuple[Fetch, Entries]]:
        prepared = super()._prepare_one(fetch, entries)
        if isinstance(prepared, _Statement):
            self.served[id(prepared)] = fetch.path
        return prepared

    def _prepare_many(
        self, fetch: Fetch, entries: Entries, keys: list[Any] | None = None
    ) -> _Statement:
        prepared = super()._prepare_many(fetch, entries, keys)
        self.served[id(prepared)] = fetch.path
        return prepared

    async def _fetch_all(self, statements: Sequence[_Statement]) -> list[Sequence[Any]]:
        # A statement prepared by no _prepare_* (a node's own) serves the fetch being run.
        before = self.trace.serving
        self.trace.serving = tuple(self.served.pop(id(st), self.running) for st in statements)
        try:
            return await super()._fetch_all(statements)
        finally:
            self.trace.serving = before


def _cursor_maker(order: Order) -> Callable[[Any], str]:
    names = [f"{ROW_KEY_PREFIX}{i}" for i in range(len(order.keys))]
    encode = cursors.encoder(order)
    return lambda row: encode([row[n] for n in names])
