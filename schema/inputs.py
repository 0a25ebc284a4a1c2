"""Mutation inputs: the one spelling of a partial update's field, and how an input becomes a
domain command (its global ids decoded, then validated by domain/validation.py's `parse`);
and query text arguments as statement parameters (`stored_text`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError

from db.ids import MalformedIdError, decode_id_of
from domain.errors import Problem, raise_problems
from domain.validation import Command, parse, unstorable_text
from schema.errors import malformed_id

C = TypeVar("C", bound=Command)

INPUT = ("input",)


def change(description: str) -> Any:
    """A field of a partial update (the `update*` inputs).

    The UNSET default keeps the field optional without a default in the schema, so a field the
    client leaves out is absent from the arguments (its value is kept), while an explicit null
    is present (it clears the value, where the command allows: domain/updates.py).
    """
    return strawberry.field(default=strawberry.UNSET, description=description)


@dataclass(frozen=True, slots=True)
class InputCommand(Generic[C]):
    """How an input becomes the command `model`.

    `ids` pairs the input fields holding global ids (or lists of them) with the type each must
    name; only fields present and not null are decoded, so an absent field stays absent and a
    null stays null for the command to tell apart. `ignored` fields are the transport's own
    (an idempotency key) and never reach the command. With `null_means_absent`, an explicit
    null is dropped, so the command's default applies (creates whose defaults are not null).
    """

    model: type[C]
    ids: tuple[tuple[str, str], ...] = ()
    ignored: tuple[str, ...] = ()
    null_means_absent: bool = False

    def read(self, raw: Mapping[str, Any], prefix: tuple[str, ...] = INPUT) -> C:
        """The command, or a DomainError naming the fields at fault under `prefix`."""
        if self.null_means_absent:
            data = {name: value for name, value in raw.items() if value is not None}
        else:
            data = dict(raw)
        for name in self.ignored:
            data.pop(name, None)
        problems: list[Problem] = []
        for name, type_name in self.ids:
            given = data.get(name)
            if given is not None:
                data[name] = _decoded(given, type_name, prefix, name, problems)
        raise_problems(problems)
        return parse(self.model, data, prefix)


def _decoded(
    given: Any, type_name: str, prefix: tuple[str, ...], name: str, problems: list[Problem]
) -> Any:
    try:
        if type(given) is list:
            return [decode_id_of(item, type_name) for item in given]
        return decode_id_of(given, type_name)
    except MalformedIdError:
        # One problem per field, also for a list with several bad ids: the form marks the field.
        problems.append(malformed_id((*prefix, name), type_name))
        return None


def stored_text(raw: Any) -> str:
    """A query's text argument (a filter, a lookup key) as a statement parameter; text the
    database cannot hold (a NUL or an unpaired surrogate) is a coded error on the field, not a
    fault of the statement. (Mutation inputs are checked whole: schema/mutation_fields.py.)"""
    text = str(raw)
    reason = unstorable_text(text)
    if reason is not None:
        raise GraphQLError(reason, extensions={"code": "BAD_USER_INPUT"})
    return text
