"""SCIM's pure rules: filters parse into the tree RFC 7644 describes, PATCH operations apply
to a document as the RFC (and Entra ID's habits) ask, and a User document means what the
domain says."""

from __future__ import annotations

from typing import Any

import pytest

from domain.scim.errors import ScimError
from domain.scim.filters import (
    And,
    AttrPath,
    Compare,
    Not,
    Or,
    Present,
    ValuePath,
    matches,
    parse_filter,
)
from domain.scim.patch import apply_patch
from domain.scim.schemas import COMMON, PATCH_OP, USER
from domain.scim.users import user_profile


def test_precedence_not_and_or() -> None:
    tree = parse_filter('userName eq "a" or NOT (active eq false) and emails pr')
    assert tree == Or(
        Compare(AttrPath("userName"), "eq", "a"),
        And(Not(Compare(AttrPath("active"), "eq", False)), Present(AttrPath("emails"))),
    )


def test_value_paths_urns_and_json_strings() -> None:
    tree = parse_filter(
        'emails[type eq "work" and value co "\\"q\\""] and'
        ' urn:ietf:params:scim:schemas:core:2.0:User:name.givenName sw "Å"'
    )
    assert tree == And(
        ValuePath(
            AttrPath("emails"),
            And(Compare(AttrPath("type"), "eq", "work"), Compare(AttrPath("value"), "co", '"q"')),
        ),
        Compare(
            AttrPath("name", "givenName", "urn:ietf:params:scim:schemas:core:2.0:User"), "sw", "Å"
        ),
    )


@pytest.mark.parametrize("text", ["", "userName", 'userName eq "a" and', "a eq 1 )", "x[y eq 1"])
def test_malformed_filters(text: str) -> None:
    with pytest.raises(ScimError) as raised:
        parse_filter(text)
    assert (raised.value.status, raised.value.scim_type) == (400, "invalidFilter")


def test_value_filters_match_elements_case_insensitively() -> None:
    tree = parse_filter('type eq "WORK" and not (primary eq false)')
    assert matches({"type": "work", "primary": True}, tree)
    assert not matches({"type": "work", "primary": False}, tree)


def _patch(document: dict[str, Any], *operations: dict[str, Any]) -> dict[str, Any]:
    return apply_patch(
        document, {"schemas": [PATCH_OP], "Operations": list(operations)}, USER, COMMON
    )


def test_patch_without_path_merges_complex_and_keys_may_be_paths() -> None:
    document = {"userName": "a", "name": {"givenName": "A", "familyName": "B"}}
    patched = _patch(
        document,
        {"op": "Replace", "value": {"name": {"givenName": "C"}, "name.formatted": "C B"}},
    )
    assert patched["name"] == {"givenName": "C", "familyName": "B", "formatted": "C B"}
    assert document["name"]["givenName"] == "A"  # the input is left as it was


def test_replace_on_an_unmatched_eq_filter_adds_the_value() -> None:
    patched = _patch(
        {"userName": "a"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "a@b.c"},
    )
    assert patched["emails"] == [{"type": "work", "value": "a@b.c"}]


def test_add_appends_to_multi_valued_and_remove_takes_matches() -> None:
    document = {"userName": "a", "emails": [{"value": "a@b.c", "type": "work"}]}
    added = _patch(
        document, {"op": "add", "path": "emails", "value": {"value": "h@b.c", "type": "home"}}
    )
    assert [e["value"] for e in added["emails"]] == ["a@b.c", "h@b.c"]
    removed = _patch(added, {"op": "remove", "path": 'emails[type eq "work"]'})
    assert removed["emails"] == [{"value": "h@b.c", "type": "home"}]
    gone = _patch(removed, {"op": "remove", "path": "emails"})
    assert "emails" not in gone


def test_dropped_attributes_are_accepted_and_not_kept() -> None:
    patched = _patch(
        {"userName": "a"},
        {"op": "add", "path": "title", "value": "CMO"},
        {
            "op": "replace",
            "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "M"},
        },
    )
    assert patched == {"userName": "a"}


def test_what_a_user_document_means() -> None:
    profile = user_profile(
        {
            "userName": "ada",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [
                {"value": "home@x.example", "type": "home"},
                {"value": "work@x.example", "type": "work"},
            ],
            "roles": [{"value": "admin", "primary": True}],
        }
    )
    assert (profile.email, profile.name, profile.role, profile.active) == (
        "work@x.example",
        "Ada Lovelace",
        "ADMIN",
        None,
    )
    assert user_profile({"userName": "bo@x.example"}).email == "bo@x.example"
    assert user_profile({"userName": "bo@x.example"}, roles_removed=True).role == "MEMBER"
