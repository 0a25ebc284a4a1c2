"""The schema's own contract: every field described, every field mapped for the planner."""

from __future__ import annotations

from graphql import (
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    is_introspection_type,
)

from db.planner.mapping import METADATA_KEY
from schema.app_schema import schema

TYPES = [
    t
    for name, t in schema._schema.type_map.items()
    if not name.startswith("__") and not is_introspection_type(t)
]


def test_every_type_and_field_has_a_description() -> None:
    missing = []
    for graphql_type in TYPES:
        if isinstance(
            graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType
        ):
            if not graphql_type.description:
                missing.append(graphql_type.name)
            for name, field in graphql_type.fields.items():
                if not field.description:
                    missing.append(f"{graphql_type.name}.{name}")
    assert missing == []


def test_every_object_field_has_a_planner_mapping() -> None:
    # A field the planner cannot compile would force a query onto the slow field-by-field
    # path (or fail): each one declares its mapping where it is defined.
    unmapped = []
    for graphql_type in TYPES:
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, field in graphql_type.fields.items():
            definition = field.extensions.get("strawberry-definition")
            if definition is None or METADATA_KEY not in definition.metadata:
                unmapped.append(f"{graphql_type.name}.{name}")
    assert unmapped == []
