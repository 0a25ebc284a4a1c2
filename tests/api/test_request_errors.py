"""Request errors (README "Errors"): every kind carries a stable `extensions.code`, is a 400
without `data` under application/graphql-response+json and a 200 without `data` under
application/json; parameters of the wrong type and JSON nested too deeply are coded 400s."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from api.app import create_app
from api.settings import Settings
from tests.servers import serving

RESPONSE_TYPE = "application/graphql-response+json"
PARSE = "GRAPHQL_PARSE_FAILED"
INVALID = "GRAPHQL_VALIDATION_FAILED"
INPUT = "BAD_USER_INPUT"

# (what is wrong, query, variables, operationName, the code of every error)
KINDS: list[tuple[str, str, dict[str, Any] | None, str | None, str]] = [
    ("unclosed selection", "{ organization { name }", None, None, PARSE),
    ("unexpected character", "{ organization { name } }}", None, None, PARSE),
    ("bad token", "{ organization { na#me } ", None, None, PARSE),
    ("unterminated string", '{ keyResult(externalId: "x) { id } }', None, None, PARSE),
    ("text after the document", "{ viewer { id } } extra", None, None, PARSE),
    ("only a fragment name", "fragment", None, None, PARSE),
    ("bad variable syntax", "query ($: ID) { viewer { id } }", None, None, PARSE),
    ("unknown field", "{ nope }", None, None, INVALID),
    ("unknown nested field", "{ organization { nope } }", None, None, INVALID),
    ("unknown argument", "{ organization(nope: 1) { name } }", None, None, INVALID),
    ("missing argument", "{ cycles { totalCount } }", None, None, INVALID),
    ("wrong literal type", '{ cycles(first: "x") { totalCount } }', None, None, INVALID),
    ("bad enum literal",
     "{ objectives(first: 1, orderBy: {field: NOPE}) { totalCount } }", None, None, INVALID),
    ("unknown input field",
     "{ objectives(first: 1, orderBy: {nope: 1}) { totalCount } }", None, None, INVALID),
    ("null for non-null argument", "{ node(id: null) { id } }", None, None, INVALID),
    ("object without selection", "{ organization }", None, None, INVALID),
    ("scalar with selection", "{ organization { name { x } } }", None, None, INVALID),
    ("unknown type in fragment",
     "{ ...F } fragment F on Nope { id }", None, None, INVALID),
    ("unknown fragment", "{ ...Missing }", None, None, INVALID),
    ("unused fragment",
     "{ viewer { id } } fragment F on User { id }", None, None, INVALID),
    ("fragment cycle",
     "{ viewer { ...A } } fragment A on User { ...B } fragment B on User { ...A }",
     None, None, INVALID),
    ("impossible fragment spread",
     "{ viewer { ... on Cycle { id } } }", None, None, INVALID),
    ("duplicate operation names",
     "query A { viewer { id } } query A { viewer { id } }", None, "A", INVALID),
    ("anonymous among named", "{ viewer { id } } query B { viewer { id } }", None, None, INVALID),
    ("undefined variable", "{ node(id: $id) { id } }", None, None, INVALID),
    ("unused variable", "query ($id: ID) { viewer { id } }", None, None, INVALID),
    ("variable of wrong type in position",
     "query ($id: String!) { node(id: $id) { id } }", {"id": "x"}, None, INVALID),
    ("variable of output type", "query ($u: User) { viewer { id } }", None, None, INVALID),
    ("unknown directive", "{ viewer @nope { id } }", None, None, INVALID),
    ("directive without its argument", "{ viewer @skip { id } }", None, None, INVALID),
    ("conflicting aliases",
     "{ a: viewer { id } a: organization { name } }", None, None, INVALID),
    ("two root fields of a subscription",
     "subscription { checkInCreated { checkIn { id } } b: checkInCreated { checkIn { id } } }",
     None, None, INVALID),
    ("many errors: validation aborted",
     "{ " + " ".join(f"f{i}" for i in range(120)) + " }", None, None, INVALID),
    ("operation name needed",
     "query A { viewer { id } } query B { viewer { id } }", None, None, "OPERATION_NAME_REQUIRED"),
    ("unknown operation name", "query A { viewer { id } }", None, "B", "OPERATION_NOT_FOUND"),
    ("subscription over plain HTTP",
     "subscription { checkInCreated { checkIn { id } } }", None, None, "OPERATION_NOT_SUPPORTED"),
    ("required variable missing", "query ($id: ID!) { node(id: $id) { id } }", {}, None, INPUT),
    ("required variable null",
     "query ($id: ID!) { node(id: $id) { id } }", {"id": None}, None, INPUT),
    ("variable of wrong scalar type",
     "query ($n: Int!) { cycles(first: $n) { totalCount } }", {"n": "ten"}, None, INPUT),
    ("variable beyond 32 bits",
     "query ($n: Int!) { cycles(first: $n) { totalCount } }", {"n": 2**40}, None, INPUT),
    ("variable not in the enum",
     "query ($o: ObjectiveOrder) { objectives(first: 1, orderBy: $o) { totalCount } }",
     {"o": {"field": "NOPE"}}, None, INPUT),
    ("variable with an unknown input field",
     "query ($o: ObjectiveOrder) { objectives(first: 1, orderBy: $o) { totalCount } }",
     {"o": {"field": "TITLE", "nope": 1}}, None, INPUT),
    ("variable missing a required input field",
     "query ($o: ObjectiveOrder) { objectives(first: 1, orderBy: $o) { totalCount } }",
     {"o": {}}, None, INPUT),
    ("list variable of wrong items",
     "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [None]}, None, INPUT),
    ("variable nested deeply",
     "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [[[[["x"]]]]]}, None, INPUT),
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "variables", "operation_name", "code"),
    [pytest.param(*kind[1:], id=kind[0]) for kind in KINDS],
)
@pytest.mark.parametrize("accept", [RESPONSE_TYPE, "application/json"])
async def test_every_request_error_has_a_code(
    http: httpx.AsyncClient,
    org: dict[str, Any],
    query: str,
    variables: dict[str, Any] | None,
    operation_name: str | None,
    code: str,
    accept: str,
) -> None:
    body: dict[str, Any] = {"query": query}
    if variables is not None:
        body["variables"] = variables
    if operation_name is not None:
        body["operationName"] = operation_name
    response = await http.post(
        "/graphql", json=body, headers={"accept": accept, "x-organization": org["slug"]}
    )
    assert response.status_code == (400 if accept == RESPONSE_TYPE else 200), response.text
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"]
    assert [e["extensions"]["code"] for e in answer["errors"]] == [code] * len(answer["errors"])


async def test_validation_aborted_is_coded(http: httpx.AsyncClient, org: dict[str, Any]) -> None:
    query = "{ " + " ".join(f"f{i}" for i in range(120)) + " }"
    response = await http.post(
        "/graphql",
        json={"query": query},
        headers={"accept": RESPONSE_TYPE, "x-organization": org["slug"]},
    )
    errors = response.json()["errors"]
    assert errors[-1]["message"].endswith("Validation aborted.")
    assert errors[-1]["extensions"]["code"] == INVALID


async def test_limit_errors_keep_their_own_codes(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(60)) + " }"
    response = await http.post(
        "/graphql",
        json={"query": query},
        headers={"accept": RESPONSE_TYPE, "x-organization": org["slug"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"


WRONG_TYPES = [
    ("query", {"query": 1}),
    ("query", {"query": {"a": 1}}),
    ("query", {"query": None}),
    ("query", {"query": ["{ viewer { id } }"]}),
    ("operationName", {"operationName": 1}),
    ("operationName", {"operationName": True}),
    ("operationName", {"operationName": ["A"]}),
    ("operationName", {"operationName": {}}),
    ("variables", {"variables": "{}"}),
    ("variables", {"variables": 1}),
    ("variables", {"variables": False}),
    ("variables", {"variables": []}),
    ("extensions", {"extensions": "{}"}),
    ("extensions", {"extensions": 1}),
    ("extensions", {"extensions": True}),
    ("extensions", {"extensions": []}),
]


@pytest.mark.parametrize(("name", "params"), WRONG_TYPES)
@pytest.mark.parametrize("accept", [RESPONSE_TYPE, "application/json"])
async def test_parameters_of_the_wrong_type_are_a_coded_400(
    http: httpx.AsyncClient, org: dict[str, Any], name: str, params: dict[str, Any], accept: str
) -> None:
    body = {"query": "{ __typename }", **params}
    response = await http.post(
        "/graphql", json=body, headers={"accept": accept, "x-organization": org["slug"]}
    )
    assert response.status_code == 400, response.text
    answer = response.json()
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert f"`{name}`" in answer["errors"][0]["message"]


@pytest.mark.parametrize("value", [None, {}])
async def test_null_and_object_extensions_are_accepted(
    http: httpx.AsyncClient, org: dict[str, Any], value: Any
) -> None:
    response = await http.post(
        "/graphql",
        json={"query": "{ __typename }", "extensions": value},
        headers={"accept": RESPONSE_TYPE, "x-organization": org["slug"]},
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_extensions_of_the_wrong_type_over_get_are_a_400(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.get(
        "/graphql",
        params={"query": "{ __typename }", "extensions": '"plans"'},
        headers={"accept": RESPONSE_TYPE, "x-organization": org["slug"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def _nested(levels: int) -> str:
    return '{"query": "{__typename}", "variables": {"a": ' + "[" * levels + "]" * levels + "}}"


@pytest.mark.parametrize("levels", [1_023, 1_024, 5_000, 100_000])
@pytest.mark.parametrize("accept", [RESPONSE_TYPE, "application/json"])
async def test_json_nested_too_deeply_is_a_coded_400(
    http: httpx.AsyncClient, org: dict[str, Any], levels: int, accept: str
) -> None:
    response = await http.post(
        "/graphql",
        content=_nested(levels),
        headers={
            "content-type": "application/json",
            "accept": accept,
            "x-organization": org["slug"],
        },
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(accept)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    assert "nested too deeply" in error["message"]


async def test_json_just_within_the_depth_limit_is_read(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    # 1,022 list levels, in the variables object, in the body: 1,024 in all
    response = await http.post(
        "/graphql",
        content=_nested(1_022),
        headers={"content-type": "application/json", "accept": RESPONSE_TYPE,
                 "x-organization": org["slug"]},
    )  # fmt: skip
    # then the body is read, and the unused variable is simply ignored
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"__typename": "Query"}


async def test_variables_nested_too_deeply_over_get_are_a_coded_400(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    response = await http.get(
        "/graphql",
        params={"query": "{ __typename }", "variables": '{"a": ' + "[" * 2000 + "]" * 2000 + "}"},
        headers={"accept": RESPONSE_TYPE, "x-organization": org["slug"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert "nested too deeply" in response.json()["errors"][0]["message"]


async def test_a_deep_body_leaves_the_keep_alive_connection_serving(
    database_url: str, org: dict[str, Any]
) -> None:
    # given a live server (uvicorn) and one keep-alive connection to it
    app = create_app(Settings(environment="development", webhook_worker=False), url=database_url)
    async with (
        serving(app) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        headers = {"content-type": "application/json", "accept": RESPONSE_TYPE,
                   "x-organization": org["slug"]}  # fmt: skip
        # when a body nested 100,000 levels comes first
        deep = await client.post("/graphql", content=_nested(100_000), headers=headers)
        # then it is a coded JSON 400, and the same connection answers the next request
        assert deep.status_code == 400
        assert deep.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        after = await client.post(
            "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
        )
        assert after.status_code == 200
        assert after.json()["data"] == {"__typename": "Query"}
        assert after.extensions["network_stream"] is deep.extensions["network_stream"]


async def test_a_deep_body_with_a_number_beyond_a_double_is_a_coded_400(
    http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    # orjson refuses 1e400 and hands the body to the standard parser, which recurses
    body = '{"query": "{__typename}", "variables": {"a": ' + "[" * 1_020 + "1e400" + "]" * 1_020
    response = await http.post(
        "/graphql",
        content=body + "}}",
        headers={"content-type": "application/json", "accept": RESPONSE_TYPE,
                 "x-organization": org["slug"]},
    )  # fmt: skip
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
