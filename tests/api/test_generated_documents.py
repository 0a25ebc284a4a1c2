"""Differential testing with generated documents: the planner against the standard executor.

Documents drawn from the schema (tests/documents.py: aliases, fragments on the Node interface
and on object types, @skip/@include with variables, arguments as literals and variables, bad
ids, forged cursors, pages out of range) run over the demo organisation as its admin, as a
read-only API key and with a member's personal access token, through the planner and through strawberry's standard executor; the two
answers must agree on the status, `data`, and every error's message, path, locations and
code (the planner may add errors only inside what an error nulled: tests/graphql.py). Bounded for CI (OKRQL_GENERATED_DOCUMENTS raises the number of examples); each
discrepancy found becomes a regression test of its own (tests/api/test_partial_results.py).
"""

from __future__ import annotations

import os
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schema.app_schema import schema
from tests.documents import DocumentGenerator
from tests.graphql import EXECUTOR_HEADER, _difference, _same, assert_same_errors
from tests.signin import api_key

EXAMPLES = int(os.environ.get("OKRQL_GENERATED_DOCUMENTS", "150"))

IDS = """{
  cycles(first: 3) { nodes { id } }
  teams(first: 3) { nodes { id } }
  members(first: 3) { nodes { id } }
  objectives(first: 4) { nodes { id keyResults(first: 2) { nodes { id externalId
    checkIns(first: 1) { nodes { id } } } } } }
  apiKeys(first: 1) { nodes { id } }
  webhookEndpoints(first: 1) { nodes { id } }
  organization { id }
}"""


def _ids_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "id" and isinstance(v, str)] + [
            i for k, v in value.items() if k != "id" for i in _ids_in(v)
        ]
    if isinstance(value, list):
        return [i for v in value for i in _ids_in(v)]
    return []


class _Callers:
    generator: DocumentGenerator
    headers: dict[str, dict[str, str]]


@pytest.fixture(scope="module")
async def callers(
    http: httpx.AsyncClient, demo_organization: int, pool: asyncpg.Pool[Any]
) -> _Callers:
    base = {"accept": "application/graphql-response+json", "x-organization": "demo"}
    response = await http.post("/graphql", json={"query": IDS}, headers=base)
    data = response.json()["data"]
    ids = _ids_in(data)
    external_ids = [
        kr["externalId"]
        for o in data["objectives"]["nodes"]
        for kr in o["keyResults"]["nodes"]
        if kr["externalId"]
    ]
    organization = {"id": demo_organization, "slug": "demo"}
    key = await api_key(pool, organization, "read")
    member_id = await pool.fetchval(
        "SELECT user_id FROM membership WHERE organization_id = $1 AND role = 'MEMBER'"
        " ORDER BY user_id LIMIT 1",
        demo_organization,
    )
    token = await api_key(pool, organization, "read", user_id=member_id)
    result = _Callers()
    result.generator = DocumentGenerator(schema._schema, ids, [*external_ids, "Growth"])
    result.headers = {
        "admin": base,
        "read key": {**base, "authorization": f"Bearer {key.secret}"},
        "member's token": {**base, "authorization": f"Bearer {token.secret}"},
    }
    for headers in result.headers.values():  # each caller is let in
        answer = await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        assert answer.status_code == 200, answer.text
    return result


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("OKRQL_GENERATED_RANDOM") is None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_generated_documents_get_the_same_answer_on_both_executors(
    http: httpx.AsyncClient, callers: _Callers, data: st.DataObject
) -> None:
    document, variables = data.draw(callers.generator.documents(), label="document")
    caller = data.draw(st.sampled_from(sorted(callers.headers)), label="caller")
    headers = callers.headers[caller]
    body = {"query": document, "variables": variables}
    planned = await http.post("/graphql", json=body, headers=headers)
    standard = await http.post(
        "/graphql", json=body, headers={**headers, EXECUTOR_HEADER: "standard"}
    )
    assert planned.status_code == standard.status_code, (planned.text, standard.text)
    mine, oracle = planned.json(), standard.json()
    assert_same_errors(mine, oracle)
    assert _same(mine.get("data"), oracle.get("data")), _difference(
        mine.get("data"), oracle.get("data")
    )
