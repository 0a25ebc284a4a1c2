"""The mutation constructor (schema/mutation_fields.py): what a declaration is checked for when
it is made, and what the declared field does with input, refusals and results (no database)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypedDict

import pytest
import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig

from db.ids import encode_id
from db.planner.mapping import METADATA_KEY
from domain.errors import DomainError, UserErrorCode
from domain.permissions import Actor, ForbiddenError, Role, may_administer
from domain.validation import Command
from schema.app_schema import schema
from schema.cycles.types import Cycle
from schema.errors import Permission, UserError
from schema.fields import to_one, value
from schema.mutation import Mutation
from schema.mutation_fields import DeclaredMutation, mutation
from schema.payloads import PayloadMismatchError, user_errors_field
from schema.scalars import SCALAR_MAP

ADMINS = Permission(may_administer, "Admins only.")
ADMIN = Actor(user_id=1, role=Role.ADMIN)
MEMBER = Actor(user_id=2, role=Role.MEMBER)


@strawberry.input
class RenameInput:
    id: strawberry.ID
    parent_id: strawberry.ID | None = strawberry.UNSET
    name: str | None = None


class Rename(Command):
    id: int
    parent_id: int | None = None
    name: str | None = None


class Renamed(TypedDict):
    cycle_id: int
    count: int


@strawberry.type
class RenamePayload:
    cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle.")
    count: int = value("count", "How many.")
    user_errors: list[UserError] = user_errors_field()


def _declare(**overrides: Any) -> Any:
    async def call(ctx: Any, command: Rename) -> Renamed:
        ctx.commands.append(command)
        return {"cycle_id": command.id, "count": 1}

    declaration: dict[str, Any] = {
        "input": RenameInput,
        "command": Rename,
        "ids": {"id": "Cycle", "parentId": "Cycle"},
        "call": call,
        "payload": RenamePayload,
        "result": Renamed,
        "refused": {"count": 0},
        "permission": ADMINS,
        "description": "Rename.",
    }
    return mutation(**(declaration | overrides))


def _run(field: Any) -> DeclaredMutation[Any, Any]:
    run = field.metadata[METADATA_KEY].run
    assert isinstance(run, DeclaredMutation)
    return run


def _ctx(actor: Actor = ADMIN) -> Any:
    return SimpleNamespace(identity=SimpleNamespace(actor=actor), conn=None, commands=[])


# --- Checked when declared ------------------------------------------------------------------


def test_a_payload_field_reading_a_key_its_result_lacks_fails_at_declaration() -> None:
    # given a payload whose field mapping misspells the result's key
    @strawberry.type
    class Misspelt:
        cycle: Cycle | None = to_one("cycle", "cylce_id", "The cycle.")
        count: int = value("count", "How many.")
        user_errors: list[UserError] = user_errors_field()

    # then declaring the mutation fails, naming the field and the key
    with pytest.raises(PayloadMismatchError, match=r"Misspelt\.cycle reads \['cylce_id'\]"):
        _declare(payload=Misspelt)


def test_a_result_key_that_no_field_reads_fails_at_declaration() -> None:
    class Wider(TypedDict):
        cycle_id: int
        count: int
        secret: str

    with pytest.raises(PayloadMismatchError, match=r"reads \['secret'\] of Wider"):
        _declare(result=Wider)


def test_a_payload_without_user_errors_fails_at_declaration() -> None:
    @strawberry.type
    class Silent:
        cycle: Cycle | None = to_one("cycle", "cycle_id", "The cycle.")
        count: int = value("count", "How many.")

    with pytest.raises(PayloadMismatchError, match="userErrors"):
        _declare(payload=Silent)


def test_a_non_null_field_needs_a_value_for_refusals() -> None:
    with pytest.raises(PayloadMismatchError, match=r"RenamePayload\.count is non-null"):
        _declare(refused=None)
    with pytest.raises(PayloadMismatchError, match="not keys of Renamed"):
        _declare(refused={"count": 0, "cuont": 0})


def test_a_result_is_a_typed_dict() -> None:
    @dataclass
    class AsDataclass:
        cycle_id: int
        count: int

    with pytest.raises(PayloadMismatchError, match="not a TypedDict"):
        _declare(result=AsDataclass)


def test_the_field_takes_the_input_and_returns_the_payload() -> None:
    @strawberry.type
    class Query:
        ping: int = 1

    @strawberry.type
    class Root:
        rename = _declare()

    config = StrawberryConfig(scalar_map=SCALAR_MAP)
    sdl = strawberry.Schema(query=Query, mutation=Root, config=config).as_str()
    assert '"""Rename."""\n  rename(input: RenameInput!): RenamePayload!' in sdl


# Written by hand while the constructor was made (schema/members/mutations.py); they are to be
# declared with it too, and then leave this set.
BY_HAND: set[str] = set()


def test_every_root_mutation_is_declared_with_the_constructor() -> None:
    fields = Mutation.__strawberry_definition__.fields
    assert len(fields) == len(schema._schema.mutation_type.fields)  # type: ignore[union-attr]
    undeclared = {f.python_name for f in fields if not isinstance(_field_run(f), DeclaredMutation)}
    assert undeclared == BY_HAND


def _field_run(field: Any) -> Any:
    return field.metadata[METADATA_KEY].run


# --- What the declared field does -----------------------------------------------------------


async def test_a_caller_the_permission_refuses_is_forbidden_before_the_input_is_read() -> None:
    ctx = _ctx(MEMBER)
    with pytest.raises(GraphQLError) as refused:
        await _run(_declare())(ctx, {"input": {"id": "not even an id"}})
    assert refused.value.extensions == {"code": "FORBIDDEN"}
    assert refused.value.message == "Admins only."
    assert ctx.commands == []


async def test_ids_are_decoded_and_an_absent_field_stays_absent() -> None:
    ctx = _ctx()
    payload = await _run(_declare())(ctx, {"input": {"id": encode_id("Cycle", 7)}})
    assert payload == {"cycle_id": 7, "count": 1, "userErrors": []}
    [command] = ctx.commands
    assert command.model_fields_set == {"id"}


async def test_an_explicit_null_stays_null_unless_it_means_absent() -> None:
    ctx = _ctx()
    given = {"id": encode_id("Cycle", 7), "parentId": None, "name": None}
    await _run(_declare())(ctx, {"input": given})
    await _run(_declare(null_means_absent=True))(ctx, {"input": given})
    kept, dropped = ctx.commands
    assert kept.model_fields_set == {"id", "parent_id", "name"}
    assert dropped.model_fields_set == {"id"}


async def test_a_malformed_id_is_a_user_error_and_nothing_is_called() -> None:
    ctx = _ctx()
    given = {"id": encode_id("Team", 7), "parentId": "%%%"}
    payload = await _run(_declare())(ctx, {"input": given})
    assert payload == {
        "cycle_id": None,
        "count": 0,
        "userErrors": [
            {"field": ["input", "id"], "message": "Not a Cycle id.", "code": "INVALID_ID"},
            {"field": ["input", "parentId"], "message": "Not a Cycle id.", "code": "INVALID_ID"},
        ],
    }
    assert ctx.commands == []


async def test_a_broken_rule_of_the_use_case_becomes_user_errors() -> None:
    async def call(ctx: Any, command: Rename) -> Renamed:
        raise DomainError.of(UserErrorCode.DUPLICATE_NAME, ("input", "name"), "Taken.")

    run = _run(_declare(call=call, refused=lambda raw: {"count": len(raw)}))
    payload = await run(_ctx(), {"input": {"id": encode_id("Cycle", 7), "name": "Q1"}})
    assert payload == {
        "cycle_id": None,
        "count": 2,
        "userErrors": [{"field": ["input", "name"], "message": "Taken.", "code": "DUPLICATE_NAME"}],
    }


async def test_a_refusal_of_the_use_case_is_forbidden() -> None:
    async def call(ctx: Any, command: Rename) -> Renamed:
        raise ForbiddenError("Not your cycle.")

    with pytest.raises(GraphQLError) as refused:
        await _run(_declare(call=call))(_ctx(), {"input": {"id": encode_id("Cycle", 7)}})
    assert (refused.value.message, refused.value.extensions) == (
        "Not your cycle.",
        {"code": "FORBIDDEN"},
    )


async def test_a_list_of_ids_is_decoded_item_by_item() -> None:
    class Tag(Command):
        ids: list[int]

    class Tagged(TypedDict):
        cycle_id: int
        count: int

    seen: list[Tag] = []

    async def call(ctx: Any, command: Tag) -> Tagged:
        seen.append(command)
        return {"cycle_id": command.ids[0], "count": len(command.ids)}

    @strawberry.input
    class TagInput:
        ids: list[strawberry.ID]

    run = _run(
        _declare(input=TagInput, command=Tag, ids={"ids": "Cycle"}, call=call, result=Tagged)
    )
    ids = [encode_id("Cycle", 3), encode_id("Cycle", 4)]
    assert await run(_ctx(), {"input": {"ids": ids}}) == {
        "cycle_id": 3,
        "count": 2,
        "userErrors": [],
    }
    refused = await run(_ctx(), {"input": {"ids": [ids[0], "x", "y"]}})
    assert refused["userErrors"] == [
        {"field": ["input", "ids"], "message": "Not a Cycle id.", "code": "INVALID_ID"}
    ]
