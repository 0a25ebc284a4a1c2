"""What schema.graphql's descriptions promise about who sees what, held against the behaviour:
each list an admin reads is asked for by a member, a viewer and a read-only API key, through
the planner and the standard executor, and the answer must be what the field's description
says (FORBIDDEN, or an empty list)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import httpx

from db.ids import encode_id
from tests.signin import Caller, api_key, member, signin_http, token_for

__all__ = ["signin_http"]

SCHEMA = Path(__file__).resolve().parents[2] / "schema.graphql"

# field -> (a document reading it, what a non-admin gets)
ADMIN_LISTS = {
    "apiKeys": ("{ apiKeys(first: 5) { totalCount } }", "FORBIDDEN"),
    "webhookEndpoints": ("{ webhookEndpoints(first: 5) { totalCount } }", "FORBIDDEN"),
    "invitations": ("{ invitations(first: 5) { totalCount } }", "FORBIDDEN"),
    "allPersonalAccessTokens": (
        "{ allPersonalAccessTokens(first: 5) { totalCount nodes { id } } }",
        "empty",
    ),
    "auditEvents": (
        "query ($id: ID!) { auditEvents(subjectId: $id, first: 5) { totalCount } }",
        "FORBIDDEN",
    ),
}


def _description(field: str) -> str:
    """The description of a field of `type Query` in schema.graphql."""
    text = SCHEMA.read_text(encoding="utf-8")
    query_type = text[text.index("type Query {") :]
    before = query_type[: query_type.index(f"\n  {field}(")]
    return before[before.rindex('"""', 0, len(before) - 3) :]


def test_each_admin_list_describes_what_anyone_else_gets() -> None:
    for field, (_, outcome) in ADMIN_LISTS.items():
        description = _description(field)
        if outcome == "FORBIDDEN":
            assert "gets FORBIDDEN" in description, (field, description)
            assert "empty" not in description, (field, description)
        else:
            assert "empty for anyone else" in description, (field, description)


async def test_admin_lists_answer_anyone_else_as_described(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    await member(pool, org, "Mia", "MEMBER")
    await member(pool, org, "Vic", "VIEWER")
    key = await api_key(pool, org, "read")
    admin = Caller(signin_http, org, token_for(f"admin+{org['slug']}@test.example"))
    variables = {"id": encode_id("ApiKey", key.id)}
    callers = {
        "member": Caller.person(signin_http, org, "Mia"),
        "viewer": Caller.person(signin_http, org, "Vic"),
        "read key": Caller(signin_http, org, key.secret),
    }
    for field, (document, outcome) in ADMIN_LISTS.items():
        # the admin reads it
        body = await admin(document, variables)
        assert "errors" not in body, (field, body)
        for who, caller in callers.items():
            for standard in (False, True):
                body = await caller(document, variables, standard=standard)
                if outcome == "FORBIDDEN":
                    codes = [e["extensions"]["code"] for e in body.get("errors", [])]
                    assert codes == ["FORBIDDEN"], (field, who, standard, body)
                else:
                    assert "errors" not in body, (field, who, standard, body)
                    assert body["data"][field]["nodes"] == [], (field, who, standard, body)


async def test_node_refuses_administration_objects_to_anyone_else_as_described(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    for field in ("node", "nodes"):
        assert "anyone else gets FORBIDDEN" in _description(field), field
    await member(pool, org, "Mia", "MEMBER")
    admin = Caller(signin_http, org, token_for(f"admin+{org['slug']}@test.example"))
    made = await admin(
        'mutation { createWebhookEndpoint(input: {url: "https://crm.example/h",'
        ' eventTypes: ["*"]}) { webhookEndpoint { id } }'
        ' inviteMember(input: {email: "x@y.example", name: "X"}) { invitation { id } } }'
    )
    ids = [
        made["data"]["createWebhookEndpoint"]["webhookEndpoint"]["id"],
        made["data"]["inviteMember"]["invitation"]["id"],
    ]
    mia = Caller.person(signin_http, org, "Mia")
    for id_ in ids:
        for document in (
            "query ($id: ID!) { node(id: $id) { id } }",
            "query ($id: ID!) { nodes(ids: [$id]) { id } }",
        ):
            body = await mia(document, {"id": id_})
            assert [e["extensions"]["code"] for e in body["errors"]] == ["FORBIDDEN"], body


async def test_an_organisation_key_has_no_person_as_described(
    signin_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> None:
    """viewer, CheckIn.author and AuditEvent.actor are null for an organisation's API key."""
    mia = await member(pool, org, "Mia", "MEMBER")
    key = await api_key(pool, org, "read", "write")
    admin = Caller(signin_http, org, token_for(f"admin+{org['slug']}@test.example"))
    integration = Caller(signin_http, org, key.secret)
    cycle = await admin(
        'mutation { createCycle(input: {name: "C", startsOn: "2026-01-01", endsOn: "2026-12-31"})'
        " { cycle { id } } }"
    )
    objective = await integration(
        'mutation ($c: ID!) { createObjective(input: {title: "O", cycleId: $c, level: COMPANY})'
        " { objective { id } } }",
        {"c": cycle["data"]["createCycle"]["cycle"]["id"]},
    )
    objective_id = objective["data"]["createObjective"]["objective"]["id"]
    key_result = await integration(
        'mutation ($o: ID!, $u: ID) { createKeyResult(input: {objectiveId: $o, title: "K",'
        " kind: NUMERIC, startValue: 0, targetValue: 10, ownerId: $u}) { keyResult { id } } }",
        {"o": objective_id, "u": encode_id("User", mia)},
    )
    checked = await integration(
        "mutation ($k: ID!) { createCheckIn(input: {keyResultId: $k, value: 3,"
        " confidence: ON_TRACK}) { checkIn { author { name } } } }",
        {"k": key_result["data"]["createKeyResult"]["keyResult"]["id"]},
    )
    assert checked["data"]["createCheckIn"]["checkIn"]["author"] is None
    viewer = await integration("{ viewer { name } }")
    assert viewer["data"]["viewer"] is None
    history = await admin(
        "query ($id: ID!) { auditEvents(subjectId: $id, first: 5) { nodes { type actor { name }"
        " actorApiKey { name } } } }",
        {"id": objective_id},
    )
    created = history["data"]["auditEvents"]["nodes"][-1]
    assert created == {
        "type": "objective.created",
        "actor": None,
        "actorApiKey": {"name": "key read write"},
    }
