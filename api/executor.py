"""Running a GraphQL request: cached parse + validation, then the planner (or, for
introspection, strawberry's standard executor).

Parsing and validating cost milliseconds per document, so validated documents are cached by
their text (and the limits they were checked against); plans are cached per document,
operation and the variable values that @skip and @include read, so a hot query is planned once.

`check` does everything that needs no database: parsing (token limit), the depth, alias and
directive limits, validation, variable coercion and the query cost (api/limits.py). The
endpoint calls it before it resolves the caller or takes a connection.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any, cast

import asyncpg
from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    validate,
    visit,
)
from graphql.execution.values import VariableValues, get_variable_values
from graphql.language import Visitor

from api import limits, request_errors
from api.settings import Settings
from db.planner.describe import describe
from db.planner.plan import OperationPlan, compile_operation
from db.planner.run import execute as run_plan
from db.planner.trace import PlanTrace
from db.pool import fault_of
from db.tenancy import tenant_transaction
from schema.app_schema import schema
from schema.context import RequestContext
from schema.query import ORGANIZATION_KEY, ROOT_KEY, VIEWER_KEY

log = logging.getLogger(__name__)


class RequestError(Exception):
    """The request cannot be executed at all (GraphQL-over-HTTP "request error")."""

    def __init__(self, errors: list[GraphQLError]) -> None:
        super().__init__(errors[0].message if errors else "request error")
        self.errors = errors


class _LruCache:
    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self.items[key] = value
        self.items.move_to_end(key)
        if len(self.items) > self.size:
            self.items.popitem(last=False)


class _DirectiveVariables(Visitor):
    """Collects the variables that @skip/@include read: they select different plans."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_directive(self, node: Any, *_: Any) -> None:
        if node.name.value in ("skip", "include"):
            for argument in node.arguments:
                if isinstance(argument.value, VariableNode):
                    self.names.add(argument.value.name.value)


@dataclass(eq=False)
class PreparedDocument:
    document: DocumentNode
    fragments: dict[str, FragmentDefinitionNode]
    operations: dict[str | None, OperationDefinitionNode]
    directive_variables: tuple[str, ...]
    cost_variables: tuple[str, ...] = ()
    plans: dict[Hashable, OperationPlan] = field(default_factory=dict)
    # Per operation and the values (list lengths) of the variables a cost depends on.
    costs: dict[Hashable, int] = field(default_factory=dict)


_documents = _LruCache(1000)
_MAX_COSTS_PER_DOCUMENT = 256


def document_limits_of(settings: Settings) -> limits.DocumentLimits:
    return limits.DocumentLimits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_directives=settings.max_directives,
        max_tokens=settings.max_tokens,
        max_page_size=settings.max_page_size,
        hide_suggestions=settings.is_production,
    )


def prepare(query: str, document_limits: limits.DocumentLimits) -> PreparedDocument:
    key = (query, document_limits)
    prepared: PreparedDocument | None = _documents.get(key)
    if prepared is not None:
        return prepared
    try:
        document = limits.parse_document(query, document_limits)
    except GraphQLError as error:
        raise RequestError(request_errors.coded([error], request_errors.PARSE_FAILED)) from None
    # The limits first: they are cheap, and spare the standard rules hostile documents.
    errors = validate(schema._schema, document, limits.limit_rules(document_limits))
    if not errors:
        errors = validate(
            schema._schema, document, hide_suggestions=document_limits.hide_suggestions
        )
    if errors:
        raise RequestError(request_errors.coded(errors, request_errors.VALIDATION_FAILED))
    operations: dict[str | None, OperationDefinitionNode] = {}
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            operations[definition.name.value if definition.name else None] = definition
        elif isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
    finder = _DirectiveVariables()
    visit(document, finder)
    prepared = PreparedDocument(
        document,
        fragments,
        operations,
        tuple(sorted(finder.names)),
        limits.cost_variables(document),
    )
    _documents.put(key, prepared)
    return prepared


def select_operation(prepared: PreparedDocument, name: str | None) -> OperationDefinitionNode:
    if name is None:
        if len(prepared.operations) != 1:
            raise RequestError(
                request_errors.coded(
                    [GraphQLError("An operation name is required.")],
                    request_errors.OPERATION_NAME_REQUIRED,
                )
            )
        return next(iter(prepared.operations.values()))
    operation = prepared.operations.get(name)
    if operation is None:
        raise RequestError(
            request_errors.coded(
                [GraphQLError(f"Unknown operation named {name!r}.")],
                request_errors.OPERATION_NOT_FOUND,
            )
        )
    return operation


def coerce_variables(
    operation: OperationDefinitionNode,
    inputs: dict[str, Any] | None,
    *,
    hide_suggestions: bool = False,
) -> VariableValues:
    result = get_variable_values(
        schema._schema,
        operation.variable_definitions or (),
        inputs or {},
        max_errors=50,
        hide_suggestions=hide_suggestions,
    )
    if isinstance(result, list):
        raise RequestError(request_errors.coded(result, request_errors.BAD_USER_INPUT))
    return result


@dataclass(frozen=True, slots=True)
class CheckedRequest:
    """A request that passed every check that needs no database, with its cost."""

    prepared: PreparedDocument
    operation: OperationDefinitionNode
    operation_name: str | None
    variables: VariableValues
    cost: int
    # Reads __schema/__type: only administrators may in production.
    introspection: bool


def check(
    settings: Settings,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> CheckedRequest:
    """Parse, validate, coerce and cost a request, or raise RequestError; no SQL runs."""
    document_limits = document_limits_of(settings)
    prepared = prepare(query, document_limits)
    operation = select_operation(prepared, operation_name)
    if operation.operation is OperationType.SUBSCRIPTION:
        raise RequestError(
            request_errors.coded(
                [GraphQLError("Subscriptions are served over WebSocket or Server-Sent Events.")],
                request_errors.OPERATION_NOT_SUPPORTED,
            )
        )
    coerced = coerce_variables(
        operation, variables, hide_suggestions=document_limits.hide_suggestions
    )
    cost_key = (operation_name, limits.cost_shape(prepared.cost_variables, coerced.coerced))
    cost = prepared.costs.get(cost_key)
    if cost is None:
        try:
            cost = limits.query_cost(
                schema._schema, operation, prepared.fragments, coerced, settings.max_page_size
            )
        except GraphQLError as error:
            raise RequestError([error]) from None
        if len(prepared.costs) >= _MAX_COSTS_PER_DOCUMENT:
            prepared.costs.clear()
        prepared.costs[cost_key] = cost
    if cost > settings.max_query_cost:
        raise RequestError([limits.too_costly_error(cost, settings.max_query_cost)])
    introspection = limits.uses_schema_introspection(operation, prepared.fragments)
    return CheckedRequest(prepared, operation, operation_name, coerced, cost, introspection)


async def execute(
    ctx: RequestContext,
    settings: Settings,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
    checked: CheckedRequest | None = None,
    trace: PlanTrace | None = None,
) -> dict[str, Any]:
    """The GraphQL response (`data` and perhaps `errors`) for a query or mutation.

    `settings` are the server's (`ctx.settings` shows the schema only its part of them);
    `checked` is `check`'s result for this very request, when the caller already has it.
    A `trace` (api/plans.py) receives the plan and every statement run; introspection, on
    the standard executor, leaves it empty.
    """
    if checked is None:
        checked = check(settings, query, operation_name, variables)
    prepared, operation, coerced = checked.prepared, checked.operation, checked.variables
    if checked.introspection:
        return await execute_standard(ctx, query, operation_name, variables)
    plan_key = (
        operation_name,
        tuple(bool(coerced.coerced.get(v)) for v in prepared.directive_variables),
    )
    plan = prepared.plans.get(plan_key)
    if plan is None:
        plan = compile_operation(schema._schema, operation, prepared.fragments, coerced.coerced)
        prepared.plans[plan_key] = plan
        if trace is not None:
            trace.cached = False
    if trace is not None:
        trace.plan = describe(plan, settings.application_tenant_filter)
        # Every statement of the request, its transaction's and its use cases' included, runs
        # on the traced connection, which passes every other call through to the asyncpg one.
        ctx = dataclasses.replace(ctx, conn=cast("asyncpg.Connection[Any]", trace.wrap(ctx.conn)))
    root_row = {
        VIEWER_KEY: ctx.identity.user_id,
        ORGANIZATION_KEY: ctx.identity.organization_id,
        ROOT_KEY: 0,
    }
    try:
        organization_id = ctx.identity.organization_id
        if operation.operation is OperationType.MUTATION:
            # One transaction for the document: each mutation field runs in a savepoint of it
            # (a refused one leaves nothing), and the payloads are read after the writes.
            async with tenant_transaction(
                ctx.conn, organization_id, generic_plans=settings.generic_plans
            ):
                response = await run_plan(
                    plan, ctx.conn, ctx.read, coerced, root_row, settings, ctx, trace
                )
        else:
            async with tenant_transaction(
                ctx.conn,
                organization_id,
                mode="read",
                generic_plans=settings.generic_plans,
            ):
                response = await run_plan(
                    plan, ctx.conn, ctx.read, coerced, root_row, settings, trace=trace
                )
    except GraphQLError as error:
        # A mutation refused: the operation fails whole, its transaction rolled back.
        return {"data": None, "errors": [error.formatted]}
    return response


async def execute_standard(
    ctx: RequestContext,
    query: str,
    operation_name: str | None,
    variables: dict[str, Any] | None,
) -> dict[str, Any]:
    """Strawberry's standard executor, resolving field by field (the oracle; introspection)."""
    root = {VIEWER_KEY: ctx.identity.user_id, ORGANIZATION_KEY: ctx.identity.organization_id,
            ROOT_KEY: 0}  # fmt: skip
    async with tenant_transaction(ctx.conn, ctx.identity.organization_id):
        result = await schema.execute(
            query,
            variable_values=variables,
            context_value=ctx,
            root_value=root,
            operation_name=operation_name,
        )
    response: dict[str, Any] = {"data": result.data}
    if result.errors:
        for error in result.errors:
            if error.original_error is not None and fault_of(error.original_error) is not None:
                # The database, not the request, failed: answered by the transport with its
                # retryable code and status, as on the planned path (never masked as a bug).
                raise error.original_error
        response["errors"] = [_client_error(e, ctx.request_id) for e in result.errors]
    return response


def _client_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """Errors okrql raised on purpose pass; anything else is a bug: logged, then masked."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return dict(error.formatted)
    log.error("unexpected error in a resolver", exc_info=original)
    return {
        "message": "Unexpected error.",
        "path": error.path,
        "locations": [loc._asdict() for loc in error.locations or ()],
        "extensions": {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
    }
