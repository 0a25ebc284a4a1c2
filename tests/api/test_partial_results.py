"""Field errors as the GraphQL spec has them: the failing field is null, the null spreads to
the nearest nullable parent, the rest of the answer stays, and each error carries its path
(list indices as integers) and location. Every document here runs through the planner and
the standard executor (tests/graphql.py compares data and errors), and the planner's answer
is also checked against the spec's expected shape.
"""

from __future__ import annotations

import asyncio
import base64
import logging
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from db.ids import encode_id
from db.planner import partial
from tests.graphql import GraphQLClient
from tests.signin import Caller, api_key
from tests.statements import statements_of


async def _ids(demo: GraphQLClient) -> dict[str, str]:
    data = await demo.data(
        """{ objectives(first: 1, orderBy: {field: TITLE}) { nodes { id keyResults(first: 1) {
             nodes { id } } } } cycles(first: 1) { nodes { id } } }"""
    )
    objective = data["objectives"]["nodes"][0]
    return {
        "objective": objective["id"],
        "keyResult": objective["keyResults"]["nodes"][0]["id"],
        "cycle": data["cycles"]["nodes"][0]["id"],
    }


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def test_a_malformed_id_nulls_its_field_and_keeps_its_siblings(demo: GraphQLClient) -> None:
    # when a document asks for the organisation and a node by a malformed id
    body = await demo(
        "query($id: ID!) {\n  organization { slug }\n  node(id: $id) { id }\n}", {"id": "garbage"}
    )
    # then the node is null with its error, and the organisation is answered
    assert body["data"] == {"organization": {"slug": "demo"}, "node": None}
    (error,) = body["errors"]
    assert error["path"] == ["node"]
    assert error["locations"] == [{"line": 3, "column": 3}]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_an_error_in_a_list_item_nulls_that_item_only(demo: GraphQLClient) -> None:
    ids = await _ids(demo)
    # when one of three nodes fails below (a forged cursor on the objective's key results)
    body = await demo(
        """query($ids: [ID!]!) { nodes(ids: $ids) { id
             ... on Objective { keyResults(first: 1, after: "garbage") { totalCount } } } }""",
        {"ids": [ids["keyResult"], ids["objective"], ids["cycle"]]},
    )
    # then the objective (KeyResultConnection! is not nullable) is null in the list, its
    # neighbours are answered, and the error's path names the item by its integer index
    assert body["data"]["nodes"] == [{"id": ids["keyResult"]}, None, {"id": ids["cycle"]}]
    (error,) = body["errors"]
    assert error["path"] == ["nodes", 1, "keyResults"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_refused_node_leaves_the_permitted_one(
    http: httpx.AsyncClient, demo: GraphQLClient, demo_organization: int, pool: asyncpg.Pool[Any]
) -> None:
    ids = await _ids(demo)
    organization = {"id": demo_organization, "slug": "demo"}
    key = await api_key(pool, organization, "read")
    reader = Caller(http, organization, key.secret)
    document = "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }"
    variables = {"a": ids["objective"], "b": encode_id("ApiKey", key.id)}
    # when a read key asks for an objective and for an API key (administration data)
    for standard in (False, True):
        body = await reader(document, variables, standard=standard)
        # then the objective is answered and the API key is FORBIDDEN, on both executors
        assert body["data"] == {"a": {"id": ids["objective"]}, "b": None}, body
        assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
            (["b"], "FORBIDDEN")
        ]


async def test_an_error_under_non_null_fields_nulls_up_to_the_nearest_nullable_one(
    demo: GraphQLClient,
) -> None:
    # when every objective of a page fails below (its key results' cursor is forged)
    body = await demo(
        """{ organization { slug }
             objectives(first: 3, orderBy: {field: TITLE}) { nodes {
               keyResults(first: 1, after: "x") { totalCount } } } }"""
    )
    # then Objective.keyResults, the list's items, the list and the connection are all
    # non-null: the null reaches the root, and each objective's error is reported on its path
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [
        ["objectives", "nodes", i, "keyResults"] for i in range(3)
    ]
    assert set(_codes(body)) == {"BAD_USER_INPUT"}


async def test_an_error_in_a_nullable_relation_keeps_the_row(demo: GraphQLClient) -> None:
    ids = await _ids(demo)
    # when the objective's page of key results fails under a nullable `node` field
    body = await demo(
        """query($id: ID!) { organization { slug } node(id: $id) { ... on Objective {
             title keyResults(first: 1, after: "") { totalCount } } } }""",
        {"id": ids["objective"]},
    )
    # then `node` is null (the nearest nullable field) and the organisation stays
    assert body["data"] == {"organization": {"slug": "demo"}, "node": None}
    assert [e["path"] for e in body["errors"]] == [["node", "keyResults"]]


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(values)).rstrip(b"=").decode()


async def test_forged_and_foreign_cursors_are_coded_errors(demo: GraphQLClient) -> None:
    # given a real cursor of the objectives sorted by title
    data = await demo.data(
        "{ objectives(first: 2, orderBy: {field: TITLE}) { pageInfo { endCursor } } }"
    )
    title_cursor = data["objectives"]["pageInfo"]["endCursor"]
    tag, *values = orjson.loads(base64.urlsafe_b64decode(title_cursor + "=="))
    forged = {
        "a list of one string": "WyJhIl0",
        "NaN as a date": "WyJOYU4iLCIxIl0",
        "an empty cursor": "",
        "not base64 JSON": "bm90IGEgY3Vyc29y",
        "a number where an id is": _cursor([tag, values[0], "1e3"]),
        "an id beyond bigint": _cursor([tag, values[0], str(2**63)]),
        "a NUL in a title": _cursor([tag, "a\x00b", values[1]]),
        "a value too many": _cursor([tag, *values, "1"]),
        "no tag": _cursor(values),
    }
    for what, cursor in forged.items():
        # when a list is paged from a forged cursor
        for field in ("objectives", "cycles"):
            order = ", orderBy: {field: TITLE}" if field == "objectives" else ""
            body = await demo(
                f'{{ {field}(first: 3, after: "{cursor}"{order}) {{ nodes {{ id }} }} }}'
            )
            # then it is the caller's coded error on the list, never the database's
            assert _codes(body) == ["BAD_USER_INPUT"], (what, field, body)
            assert body["errors"][0]["path"] == [field]
    # and a title cursor is no position in the order by progress, nor in the reverse order
    for order in ("{field: PROGRESS}", "{field: TITLE, direction: DESC}"):
        body = await demo(
            f'{{ objectives(first: 3, after: "{title_cursor}", orderBy: {order}) {{ totalCount }} }}'
        )
        assert _codes(body) == ["BAD_USER_INPUT"], (order, body)
        assert "order" in body["errors"][0]["message"]
    # while the real cursor pages on
    page = await demo.data(
        f'{{ objectives(first: 2, after: "{title_cursor}", orderBy: {{field: TITLE}}) '
        "{ nodes { id } } }"
    )
    assert page["objectives"]["nodes"]


async def test_an_expected_error_is_no_news_in_the_log(
    demo: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    # when a client's bad input fails a field on either executor
    with caplog.at_level(logging.INFO):
        for standard in (False, True):
            response = await demo.post(
                '{ cycles(first: 1, after: "x") { totalCount } }', standard=standard
            )
            assert _codes(response.json()) == ["BAD_USER_INPUT"]
    # then the operator's log holds no error and no traceback for it
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]


ROOT_FRAGMENT = """
query { ...Root }
fragment Root on Query {
  objectives(first: 100) { nodes { id title keyResults(first: 20) { nodes { id title } } } }
}
"""
INLINE = """
query { objectives(first: 100) { nodes { id title keyResults(first: 20) { nodes { id title } } } } }
"""


async def test_a_root_fragment_is_planned_like_the_same_fields_inline(
    app: Any, demo: GraphQLClient
) -> None:
    # when Relay-style documents spread their fields on the root, plainly and inline
    counts = []
    for document in (
        INLINE,
        ROOT_FRAGMENT,
        "query { ... on Query { ...Root } }" + ROOT_FRAGMENT[19:],
    ):
        with statements_of(app) as log:
            response = await demo.post(document)
            await asyncio.sleep(0)  # query loggers are called soon, not at once
        assert "errors" not in response.json(), response.text
        counts.append(len(log.statements))
        # (and the standard executor agrees)
        assert response.json()["data"] == await demo.data(document)
    # then each runs the planner's few statements, not one per objective
    assert counts[0] <= 4
    assert counts == [counts[0]] * 3


async def test_introspection_in_a_root_fragment_is_still_introspection(
    demo: GraphQLClient,
) -> None:
    body = await demo(
        "query { ...Schema } fragment Schema on Query { __schema { queryType { name } } }"
    )
    assert body["data"] == {"__schema": {"queryType": {"name": "Query"}}}


async def test_past_a_hundred_field_errors_the_rest_are_counted(
    demo: GraphQLClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a limit of two listed errors (a hundred in earnest)
    monkeypatch.setattr(partial, "MAX_ERRORS", 2)
    # when four objectives fail below
    response = await demo.post(
        '{ objectives(first: 4) { nodes { keyResults(first: 1, after: "x") { totalCount } } } }'
    )
    # then two are listed with their paths and one more error counts the other two
    body = response.json()
    assert body["data"] is None
    listed, summary = body["errors"][:2], body["errors"][2:]
    assert [e["path"] for e in listed] == [["objectives", "nodes", i, "keyResults"] for i in (0, 1)]
    assert summary == [
        {
            "message": "2 more field errors like these were left out.",
            "extensions": {"code": "TOO_MANY_ERRORS", "leftOut": 2},
        }
    ]
