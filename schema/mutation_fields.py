"""The one way to declare a root mutation field: `mutation(...)`, as `column()` is for reads.

A declaration names the input type, the command the input becomes (which of its fields are
global ids of which type), the call of the use case, the payload type and its result type,
who may call it and the description. What every mutation needs is done here once:

1. callers the permission refuses get FORBIDDEN before their input is read;
2. the input is decoded and validated into the command (schema/inputs.py);
3. the call runs the use case, in a retry-safe way when the input carries an idempotency key
   (services/idempotency.py);
4. a broken rule (DomainError) becomes the payload's userErrors, every other key null (or the
   declared refusal value); a ForbiddenError of the use case becomes FORBIDDEN.

The planner runs the field like any mutation (db/planner/mapping.py's `Mutation`, one
transaction per document, a savepoint per field); everything that follows from the
declaration is worked out when it is made, and the payload is checked against its result type
then (schema/payloads.py), so a mismatch stops the server from starting.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import strawberry

from db.planner.mapping import Mutation
from domain.errors import DomainError, raise_problems
from domain.permissions import ForbiddenError
from domain.validation import Command, text_problems
from schema import oracle
from schema.errors import Permission, forbidden_error, user_errors
from schema.fields import mapped
from schema.inputs import INPUT, InputCommand
from schema.payloads import USER_ERRORS, PayloadMismatchError, check_payload, result_keys
from services import idempotency

if TYPE_CHECKING:
    from schema.context import RequestContext

C = TypeVar("C")
R = TypeVar("R")

# The input field that makes a write retry-safe (createCheckIn, createCheckIns).
IDEMPOTENCY_KEY = "idempotencyKey"

Refused = Mapping[str, Any] | Callable[[dict[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class DeclaredMutation(Generic[C, R]):
    """A mutation as declared, ready to run: the planner's `Mutation.run`."""

    read: Callable[[dict[str, Any]], C]
    call: Callable[[RequestContext, C], Awaitable[R]]
    permission: Permission
    idempotency: str | None
    # A refusal's payload before its userErrors; `refused_by_input` adds what depends on it.
    refusal: Mapping[str, Any]
    refused_by_input: Callable[[dict[str, Any]], Mapping[str, Any]] | None
    # Whether the call's result lacks userErrors (all but a bulk write's, which reports some).
    adds_user_errors: bool

    async def __call__(self, ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
        if not self.permission.allowed(ctx.identity.actor):
            raise forbidden_error(self.permission.message)
        raw: dict[str, Any] = args["input"]
        operation = self.idempotency
        try:
            # Every string of every input, its idempotency key too, before anything reads it.
            raise_problems(text_problems(raw, INPUT))
            if operation is not None and (key := raw.get(IDEMPOTENCY_KEY)) is not None:
                return await idempotency.run_once(
                    ctx.conn, ctx.identity, operation, key, raw, lambda: self._perform(ctx, raw)
                )
            return await self._perform(ctx, raw)
        except DomainError as error:
            return self._refused(raw, error)
        except ForbiddenError as error:
            raise forbidden_error(str(error)) from None

    async def _perform(self, ctx: RequestContext, raw: dict[str, Any]) -> dict[str, Any]:
        payload = cast(dict[str, Any], await self.call(ctx, self.read(raw)))
        if self.adds_user_errors:
            payload[USER_ERRORS] = []
        return payload

    def _refused(self, raw: dict[str, Any], error: DomainError) -> dict[str, Any]:
        payload = dict(self.refusal)
        if self.refused_by_input is not None:
            payload.update(self.refused_by_input(raw))
        payload[USER_ERRORS] = user_errors(error)
        return payload


def mutation(
    *,
    input: type,
    command: type[C] | Callable[[dict[str, Any]], C],
    call: Callable[[RequestContext, C], Awaitable[R]],
    payload: type,
    result: type[R],
    permission: Permission,
    description: str,
    ids: Mapping[str, str] | None = None,
    null_means_absent: bool = False,
    refused: Refused | None = None,
    idempotency: str | None = None,
) -> Any:
    """A root mutation field `(input: <input>!): <payload>!`.

    `command` is a domain command class (domain/validation.py's `Command`), read from the input
    with the global ids of `ids` (input field -> type name) decoded and, with
    `null_means_absent`, explicit nulls dropped; or, for inputs that are not one command (a
    bulk write), a function from the raw input to what `call` takes, raising DomainError.
    `call(context, command)` runs the use case and returns the `result` TypedDict that
    `payload` renders. `refused` gives the values of non-null payload keys when the write is
    refused (a mapping, or a function of the raw input); every other key is then null.
    `idempotency` names the operation whose retries the input's `idempotencyKey` makes safe;
    the name is stored with each key, so it must not change.
    """
    read = _reader(command, ids or {}, idempotency, null_means_absent)
    keys = result_keys(result)
    static = refused if isinstance(refused, Mapping) else None
    if static is not None and (extra := set(static) - keys):
        raise PayloadMismatchError(f"refused sets {sorted(extra)}, not keys of {result.__name__}")
    check_payload(payload, result, None if callable(refused) else set(static or ()))
    declared = DeclaredMutation(
        read=read,
        call=call,
        permission=permission,
        idempotency=idempotency,
        refusal={**dict.fromkeys(keys - {USER_ERRORS}), **(static or {})},
        refused_by_input=refused if callable(refused) else None,
        adds_user_errors=USER_ERRORS not in keys,
    )
    return strawberry.mutation(
        resolver=_resolver(input, payload),
        description=description,
        metadata=mapped(Mutation(declared)),
    )


def _reader(
    command: type[C] | Callable[[dict[str, Any]], C],
    ids: Mapping[str, str],
    idempotency: str | None,
    null_means_absent: bool,
) -> Callable[[dict[str, Any]], C]:
    if isinstance(command, type) and issubclass(command, Command):
        reader = InputCommand(
            command,
            tuple(ids.items()),
            (IDEMPOTENCY_KEY,) if idempotency is not None else (),
            null_means_absent,
        )
        return cast(Callable[[dict[str, Any]], C], reader.read)
    if ids or null_means_absent:
        raise TypeError("ids and null_means_absent apply to a Command class, not a function")
    return cast(Callable[[dict[str, Any]], C], command)


def _resolver(input: type, payload: type) -> Callable[..., Awaitable[Any]]:
    """The field's resolver for strawberry's standard executor (introspection, the oracle); its
    signature gives the schema the field's argument and type."""

    async def resolve(info: strawberry.Info, input: Any) -> Any:
        return await oracle.resolve_mutation(info)

    parameter = inspect.Parameter.POSITIONAL_OR_KEYWORD
    resolve.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("info", parameter, annotation=strawberry.Info),
            inspect.Parameter("input", parameter, annotation=input),
        ],
        return_annotation=payload,
    )
    return resolve
