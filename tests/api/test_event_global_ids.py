"""Audit events and webhook payloads name what they refer to by global id, as every other
answer does (migration 0021): one organisation goes through a change of every kind that
refers to other nodes, and every event's `before` and `after` are read back through
`auditEvents` and as delivered to a real receiver."""

from __future__ import annotations

import json
from typing import Any

import asyncpg
import httpx

from api.webhooks.worker import WebhookWorker
from db.ids import decode_id, encode_id
from tests.api.test_webhooks import _only_ours, _settings, receiving, worker_pool
from tests.signin import Caller, member, signin_http, token_for

__all__ = ["signin_http", "worker_pool"]

# Keys that end like a reference but hold an integration's own id.
NOT_REFERENCES = frozenset({"externalId", "keyResultExternalId"})

# Every event type whose payload refers to another node, with the references it carries.
REFERRING = {
    "team.created": {"parentTeamId"},
    "team.updated": {"parentTeamId"},
    "team.member_added": {"userId"},
    "team.member_removed": {"userId"},
    "cycle.created": {"parentCycleId"},
    "cycle.updated": {"parentCycleId"},
    "objective.created": {"cycleId", "ownerTeamId", "ownerUserId"},
    "objective.updated": {"cycleId", "ownerTeamId", "ownerUserId"},
    "key_result.created": {"objectiveId", "ownerId"},
    "key_result.updated": {"objectiveId", "ownerId"},
    "key_result.deleted": {"objectiveId", "ownerId"},
    "check_in.created": {"keyResultId"},
    "alignment.created": {"childObjectiveId", "parentObjectiveId", "parentKeyResultId"},
    "alignment.removed": {"childObjectiveId", "parentObjectiveId", "parentKeyResultId"},
    "member.invited": {"teamIds", "invitationId"},
    "member.invitation_resent": {"invitationId"},
    "member.invitation_revoked": {"invitationId"},
    "member.joined": {"invitationId"},
    "api_key.created": {"teamIds"},
}


def references(payload: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) under a key that names a reference, anywhere in the payload."""
    found: list[tuple[str, Any]] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            if (key.endswith(("Id", "Ids")) and key not in NOT_REFERENCES) or key == "teamIds":
                found.append((f"{path}.{key}", value))
            found += references(value, f"{path}.{key}")
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            found += references(value, f"{path}[{i}]")
    return found


def assert_global_ids(event_type: str, payload: Any) -> set[str]:
    """Every reference is a global id (or null); the keys that held one."""
    keys = set()
    for path, value in references(payload):
        values = value if isinstance(value, list) else [value]
        for one in values:
            if one is not None:
                assert isinstance(one, str), (event_type, path, value)
                decode_id(one)  # raises unless it is a well-formed global id
                keys.add(path.rsplit(".", 1)[-1])
    return keys


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


async def _ok(caller: Caller, document: str, variables: dict[str, Any] | None = None) -> Any:
    body = await caller(document, variables)
    assert "errors" not in body, body
    for payload in body["data"].values():
        assert payload.get("userErrors", []) == [], body
    return body["data"]


async def _every_kind_of_change(
    http: httpx.AsyncClient, pool: asyncpg.Pool[Any], org: dict[str, Any]
) -> dict[str, str]:
    ada = Caller(http, org, token_for(f"admin+{org['slug']}@test.example"))
    mia_id = await member(pool, org, "Mia", "MEMBER")
    mia = encode_id("User", mia_id)
    ids: dict[str, str] = {"mia": mia}

    growth = await _ok(ada, 'mutation { createTeam(input: {name: "Growth"}) { team { id } } }')
    ids["growth"] = growth["createTeam"]["team"]["id"]
    sub = await _ok(
        ada,
        'mutation ($p: ID) { createTeam(input: {name: "Sub", parentTeamId: $p}) { team { id } } }',
        {"p": ids["growth"]},
    )
    await _ok(
        ada,
        'mutation ($id: ID!) { updateTeam(input: {id: $id, description: "d"}) { team { id } } }',
        {"id": sub["createTeam"]["team"]["id"]},
    )
    member_of = "(input: {teamId: $t, userId: $u}) { team { id } userErrors { code } }"
    await _ok(
        ada,
        f"mutation ($t: ID!, $u: ID!) {{ addTeamMember{member_of} }}",
        {"t": ids["growth"], "u": mia},
    )
    await _ok(
        ada,
        f"mutation ($t: ID!, $u: ID!) {{ removeTeamMember{member_of} }}",
        {"t": ids["growth"], "u": mia},
    )

    year = await _ok(
        ada,
        'mutation { createCycle(input: {name: "2026", startsOn: "2026-01-01",'
        ' endsOn: "2026-12-31"}) { cycle { id } } }',
    )
    quarter = await _ok(
        ada,
        'mutation ($p: ID) { createCycle(input: {name: "Q4", startsOn: "2026-10-01",'
        ' endsOn: "2026-12-31", parentCycleId: $p}) { cycle { id } } }',
        {"p": year["createCycle"]["cycle"]["id"]},
    )
    ids["cycle"] = quarter["createCycle"]["cycle"]["id"]
    await _ok(
        ada,
        'mutation ($id: ID!) { updateCycle(input: {id: $id, name: "Q4 2026"}) { cycle { id } } }',
        {"id": ids["cycle"]},
    )

    create_objective = (
        "mutation ($c: ID!, $t: ID, $u: ID, $l: ObjectiveLevel!, $title: String!) {"
        " createObjective(input: {title: $title, cycleId: $c, level: $l, ownerTeamId: $t,"
        " ownerUserId: $u}) { objective { id } userErrors { code } } }"
    )
    for name, level, team, user in (
        ("company", "COMPANY", None, None),
        ("team", "TEAM", ids["growth"], None),
        ("mias", "PERSON", None, mia),
    ):
        made = await _ok(
            ada,
            create_objective,
            {"c": ids["cycle"], "t": team, "u": user, "l": level, "title": name},
        )
        ids[name] = made["createObjective"]["objective"]["id"]
    await _ok(
        ada,
        'mutation ($id: ID!) { updateObjective(input: {id: $id, title: "Team"}) {'
        " objective { id } userErrors { code } } }",
        {"id": ids["team"]},
    )

    key_result = await _ok(
        ada,
        'mutation ($o: ID!, $u: ID) { createKeyResult(input: {objectiveId: $o, title: "K",'
        " kind: NUMERIC, startValue: 0, targetValue: 10, ownerId: $u}) {"
        " keyResult { id } userErrors { code } } }",
        {"o": ids["company"], "u": mia},
    )
    ids["kr"] = key_result["createKeyResult"]["keyResult"]["id"]
    await _ok(
        ada,
        'mutation ($id: ID!) { updateKeyResult(input: {id: $id, title: "KR"}) {'
        " keyResult { id } userErrors { code } } }",
        {"id": ids["kr"]},
    )
    await _ok(
        ada,
        "mutation ($k: ID!) { createCheckIn(input: {keyResultId: $k, value: 4,"
        " confidence: ON_TRACK}) { checkIn { id } userErrors { code } } }",
        {"k": ids["kr"]},
    )
    alignment = "(input: {childObjectiveId: $c, parentObjectiveId: $p{}}) { userErrors { code } }"
    await _ok(
        ada,
        "mutation ($c: ID!, $p: ID!, $k: ID) { alignObjective"
        + alignment.replace("{}", ", parentKeyResultId: $k")
        + " }",
        {"c": ids["team"], "p": ids["company"], "k": ids["kr"]},
    )
    await _ok(
        ada,
        "mutation ($c: ID!, $p: ID!) { removeAlignment" + alignment.replace("{}", "") + " }",
        {"c": ids["team"], "p": ids["company"]},
    )

    invite = (
        "mutation ($email: String!, $t: [ID!]) { inviteMember(input: {email: $email,"
        " name: $email, teamIds: $t}) { member { id } invitation { id } userErrors { code } } }"
    )
    nils_email = f"nils+{org['slug']}@test.example"
    nils = await _ok(ada, invite, {"email": nils_email, "t": [ids["growth"]]})
    ids["nils"] = nils["inviteMember"]["member"]["id"]
    await _ok(
        ada,
        "mutation ($id: ID!) { resendInvitation(input: {id: $id}) { userErrors { code } } }",
        {"id": nils["inviteMember"]["invitation"]["id"]},
    )
    joined = await Caller(http, org, token_for(nils_email))("{ viewer { status } }")
    assert joined["data"]["viewer"]["status"] == "ACTIVE", joined
    olle = await _ok(ada, invite, {"email": f"olle+{org['slug']}@test.example", "t": None})
    await _ok(
        ada,
        "mutation ($id: ID!) { revokeInvitation(input: {id: $id}) { userErrors { code } } }",
        {"id": olle["inviteMember"]["invitation"]["id"]},
    )
    await _ok(
        ada,
        'mutation ($t: [ID!]) { createApiKey(input: {name: "CRM", scopes: [READ],'
        " teamIds: $t}) { userErrors { code } } }",
        {"t": [ids["growth"]]},
    )
    await _ok(
        ada,
        "mutation ($id: ID!, $to: ID) { deactivateMember(input: {id: $id,"
        " transferOwnershipTo: $to}) { transferredObjectives userErrors { code } } }",
        {"id": mia, "to": ids["nils"]},
    )
    await _ok(
        ada,
        "mutation ($id: ID!) { deleteKeyResult(input: {id: $id}) { userErrors { code } } }",
        {"id": ids["kr"]},
    )
    return ids


async def test_audit_events_and_webhook_payloads_name_references_by_global_id(
    signin_http: httpx.AsyncClient,
    pool: asyncpg.Pool[Any],
    worker_pool: asyncpg.Pool[Any],
    org: dict[str, Any],
) -> None:
    ada = Caller(signin_http, org, token_for(f"admin+{org['slug']}@test.example"))
    async with receiving() as receiver:
        await _ok(
            ada,
            'mutation ($url: String!) { createWebhookEndpoint(input: {url: $url, eventTypes: ["*"]})'
            " { userErrors { code } } }",
            {"url": receiver.url},
        )
        # when the organisation goes through a change of every kind
        ids = await _every_kind_of_change(signin_http, pool, org)
        # then every stored event names its references by global id
        rows = await pool.fetch(
            "SELECT id, type, before, after FROM event WHERE organization_id = $1 ORDER BY id",
            org["id"],
        )
        stored: dict[int, tuple[str, Any, Any]] = {}
        carried: dict[str, set[str]] = {}
        for row in rows:
            before, after = _json(row["before"]), _json(row["after"])
            stored[row["id"]] = (row["type"], before, after)
            keys = assert_global_ids(row["type"], before) | assert_global_ids(row["type"], after)
            carried.setdefault(row["type"], set()).update(keys)
        for event_type, keys in REFERRING.items():
            assert keys <= carried.get(event_type, set()), (event_type, carried.get(event_type))

        # the audit history reads the ids the API uses
        history = await _ok(
            ada,
            "query ($id: ID!) { auditEvents(subjectId: $id, first: 10) { nodes { type after } } }",
            {"id": ids["team"]},
        )
        created = next(
            e for e in history["auditEvents"]["nodes"] if e["type"] == "objective.created"
        )
        assert created["after"]["cycleId"] == ids["cycle"]
        assert created["after"]["ownerTeamId"] == ids["growth"]

        # and a webhook receiver gets each event as stored
        await _only_ours(pool, org["id"])
        worker = WebhookWorker(worker_pool, _settings())
        try:
            for _ in range(20):
                if not await worker.run_once():
                    break
        finally:
            await worker.stop()
    delivered = [json.loads(body) for _, body in receiver.requests]
    assert {d["type"] for d in delivered} == {t for t, _, _ in stored.values()}
    for delivery in delivered:
        event_id = int(delivery["id"].removeprefix("evt_"))
        event_type, before, after = stored[event_id]
        assert (delivery["type"], delivery["data"]["before"], delivery["data"]["after"]) == (
            event_type,
            before,
            after,
        )
