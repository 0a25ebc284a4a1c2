"""Tenant isolation, walked from the schema in both directions.

Two organisations call each other's ids: the demo organisation and "A", arranged here through
the API with rows of every kind. Each calls as a person signed in with a token (an admin, a
member) and as an API key with every scope, against three apps: as configured (both layers),
with the planner's own tenant predicate left out (row-level security alone), and with a role
that bypasses row-level security (the application's filters alone).

Every id that a query, a connection's filter, a field of a node type, a mutation's input or a
subscription's filter takes is found in the schema (inside input objects and lists too), so a
new one is walked as soon as it exists. Each is walked alone: the other organisation's id in
that one place, the caller's own valid ids wherever else an id is required. The answer must
read exactly like the answer for a well-formed id that exists nowhere; nothing of the other
organisation may come back; neither organisation's rows may change; an admin must be told
the id is NOT_FOUND on its field; and a subscription must hear nothing of the other
organisation's events while one of the caller's own hears the caller's. (A mutation that
takes no id at all cannot be handed another organisation's.)
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg
import httpx
import pytest
import websockets
from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationDefinitionNode,
    Undefined,
    get_named_type,
    parse,
    validate,
)
from graphql.execution.values import get_variable_values

from api.app import create_app
from api.settings import Settings
from db.ids import decode_id, encode_id
from db.organizations import add_member, create_organization
from db.tenancy import tenant_transaction
from schema.app_schema import schema
from services.api_keys import issue_key
from tests.servers import serving
from tests.signin import member, signin_settings, token_for

SCHEMA = schema._schema
NODE = SCHEMA.get_type("Node")
assert isinstance(NODE, GraphQLInterfaceType)
NODE_TYPES = sorted(t.name for t in SCHEMA.get_possible_types(NODE))
ANY_NODE = "Node"
# Queries whose rows are reached through the caller's own admin membership (the relation joins
# it): even with neither layer they cannot reach another organisation's rows, so the leak
# control below cannot make them leak.
BOUND_BY_THE_VIEWER = {"allPersonalAccessTokens"}
# Rows that mutations address by id but that are no Node (not readable by id): walked as
# mutation ids, their ids found like a node type's.
ID_ONLY_TYPES = ("PersonalAccessToken",)
MISSING_PK = 9_000_000_000  # well-formed, and no organisation's

# Which entity an id names, by the field's name (the API's naming convention; a list of ids
# is named in the plural). An id field of a new name fails the walk until it is added here.
ID_TYPES = {
    "keyResultId": "KeyResult",
    "parentKeyResultId": "KeyResult",
    "objectiveId": "Objective",
    "childObjectiveId": "Objective",
    "parentObjectiveId": "Objective",
    "cycleId": "Cycle",
    "parentCycleId": "Cycle",
    "teamId": "Team",
    "parentTeamId": "Team",
    "ownerTeamId": "Team",
    "userId": "User",
    "ownerId": "User",
    "ownerUserId": "User",
    "transferOwnershipTo": "User",
    "deliveryId": "WebhookDelivery",
    "subjectId": ANY_NODE,
}
# Keys that address a row as ids do, in an integration's own terms: the walk sends the other
# organisation's key there. (`externalId` in a key result's own input is a value being set.)
LOOKUP_KEYS = {"keyResultExternalId": "KeyResult"}
ROOT_LOOKUP_KEYS = {"externalId": "KeyResult"}
EXTERNAL_ID = "KeyResult.externalId"

TODAY = dt.datetime.now(dt.UTC).date()
# Values that make the rest of an input valid, so the id is what gets refused. Nullable
# fields are sent only when named in OPTIONAL.
VALUES: dict[str, Any] = {
    "first": 50,
    "startsOn": (TODAY - dt.timedelta(days=1)).isoformat(),
    "endsOn": (TODAY + dt.timedelta(days=1)).isoformat(),
    "url": "https://walk.example/hook",
    "eventTypes": ["*"],
    "startValue": "0",
    "targetValue": "100",
    "value": "50",
    "finalScore": 0.5,
    "email": "walk.invitee@walk.example",
}
OPTIONAL = frozenset({"startValue", "targetValue", "value"})
# What an input needs beside an owner for that owner to make sense.
COMPANIONS: dict[str, dict[str, Any]] = {
    "ownerTeamId": {"level": "TEAM"},
    "ownerUserId": {"level": "PERSON"},
}

# Our own ids go where the walk needs another row than the one of its type: a parent to align
# under must be another objective (a root, so no loop) than the child.
ROOT_OBJECTIVE = "Objective.root"
OWN_BY_FIELD = {"parentObjectiveId": ROOT_OBJECTIVE}

# Every row of every node type of an organisation (and its events), for finding any of them
# in an answer; a new node type fails the walk until it is listed here.
ROWS = {
    "Organization": "SELECT id FROM organization WHERE id = $1",
    "User": "SELECT user_id FROM membership WHERE organization_id = $1",
    "Team": "SELECT id FROM team WHERE organization_id = $1",
    "Cycle": "SELECT id FROM cycle WHERE organization_id = $1",
    "Objective": "SELECT id FROM objective WHERE organization_id = $1",
    "KeyResult": "SELECT id FROM key_result WHERE organization_id = $1",
    "CheckIn": "SELECT id FROM check_in WHERE organization_id = $1",
    "ApiKey": "SELECT id FROM api_key WHERE organization_id = $1 AND user_id IS NULL",
    "Invitation": "SELECT id FROM invitation WHERE organization_id = $1",
    "PersonalAccessToken": "SELECT id FROM api_key WHERE organization_id = $1"
    " AND user_id IS NOT NULL",
    "WebhookEndpoint": "SELECT id FROM webhook_endpoint WHERE organization_id = $1",
    "WebhookDelivery": "SELECT id FROM webhook_delivery WHERE organization_id = $1",
    "WebhookDeliveryAttempt": "SELECT id FROM webhook_delivery_attempt WHERE organization_id = $1",
    "AuditEvent": "SELECT id FROM event WHERE organization_id = $1",
}

# A team objective in its cycle, aligned under a parent, with an increasing numeric key result
# that has check-ins and is owned by a member of the team: every filter has something to match.
CHAIN = """
SELECT o.id AS objective_id, o.cycle_id, o.owner_team_id, kr.id AS key_result_id,
       kr.start_value, kr.target_value, kr.external_id, u.id AS member_id,
       u.email AS member_email,
       (SELECT max(ci.id) FROM check_in ci
        WHERE ci.organization_id = kr.organization_id AND ci.key_result_id = kr.id) AS check_in_id,
       (SELECT min(r.id) FROM objective r
        WHERE r.organization_id = o.organization_id AND r.cycle_id = o.cycle_id AND r.id <> o.id
          AND NOT EXISTS (SELECT 1 FROM alignment a WHERE a.organization_id = r.organization_id
                          AND r.id IN (a.child_objective_id, a.parent_objective_id))
       ) AS root_objective_id,
       (SELECT min(au.email) FROM membership am JOIN app_user au ON au.id = am.user_id
        WHERE am.organization_id = o.organization_id AND am.role = 'ADMIN') AS admin_email
FROM objective o
JOIN key_result kr ON kr.organization_id = o.organization_id AND kr.objective_id = o.id
JOIN team_member tm ON tm.organization_id = o.organization_id AND tm.team_id = o.owner_team_id
JOIN membership m ON m.organization_id = tm.organization_id AND m.user_id = tm.user_id
JOIN app_user u ON u.id = tm.user_id
WHERE o.organization_id = $1 AND o.level = 'TEAM' AND o.status = 'ACTIVE'
  AND o.progress_source = 'KEY_RESULTS' AND m.role = 'MEMBER'
  AND kr.kind = 'NUMERIC' AND kr.target_value > kr.start_value AND kr.owner_user_id = u.id
  AND EXISTS (SELECT 1 FROM check_in ci
              WHERE ci.organization_id = kr.organization_id AND ci.key_result_id = kr.id)
  AND EXISTS (SELECT 1 FROM alignment a
              WHERE a.organization_id = o.organization_id AND a.child_objective_id = o.id)
ORDER BY EXISTS (SELECT 1 FROM objective p
                 WHERE p.organization_id = o.organization_id AND p.owner_user_id = u.id) DESC,
         o.id, kr.id
LIMIT 1
"""

ROOTS: dict[str, GraphQLObjectType] = {
    "query": SCHEMA.query_type,
    "mutation": SCHEMA.mutation_type,
    "subscription": SCHEMA.subscription_type,
}  # type: ignore[dict-item]

KINDS = ("admin", "member", "api key")
# Isolation is enforced twice (README "Tenant isolation"): each layer must hold on its own.
LAYERS: dict[str, dict[str, Any]] = {
    "both layers": {},
    "RLS alone": {"application_tenant_filter": False},
    # a superuser role bypasses row-level security
    "application filter alone": {"database_role": ""},
}


# --- the walk, generated from the schema ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Slot:
    """One place an id goes: its path in the variables, and what it names."""

    path: tuple[str | int, ...]
    type_name: str

    def __str__(self) -> str:
        return ".".join(map(str, self.path)) + f":{self.type_name}"


def _unwrap(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


# Entities a mutation names otherwise than their node type: updateMember's id is a User's.
NOUNS = {"Member": "User"}


def _owner(mutation: str) -> str:
    """The entity a mutation's own `id` names: updateObjective -> Objective."""
    verbs = ("update", "delete", "close", "reopen", "set", "revoke", "redeliver", "resend",
             "deactivate", "reactivate")  # fmt: skip
    for verb in verbs:
        if mutation.startswith(verb):
            rest = mutation.removeprefix(verb)
            rest = NOUNS.get(rest, rest)
            for type_name in sorted([*NODE_TYPES, *ID_ONLY_TYPES], key=len, reverse=True):
                if rest.startswith(type_name):
                    return type_name
    raise LookupError(f"which entity does {mutation}'s `id` name?")


def _id_type(name: str, owner: str | None) -> str:
    if name in ("id", "ids"):
        if owner is None:
            raise LookupError("an `id` outside a mutation's own input")
        return owner
    singular = name.removesuffix("s") if name.endswith("Ids") else name
    if singular not in ID_TYPES:
        raise LookupError(f"which entity does the id field {name!r} name? Add it to ID_TYPES.")
    return ID_TYPES[singular]


def _slots(
    type_: Any, path: tuple[str | int, ...], name: str, owner: str | None, seen: frozenset[str]
) -> Iterator[Slot]:
    type_ = _unwrap(type_)
    if isinstance(type_, GraphQLList):
        yield from _slots(type_.of_type, (*path, 0), name, owner, seen)
    elif isinstance(type_, GraphQLInputObjectType) and type_.name not in seen:
        for field_name, field in type_.fields.items():
            yield from _slots(
                field.type, (*path, field_name), field_name, owner, seen | {type_.name}
            )
    elif isinstance(type_, GraphQLScalarType) and type_.name == "ID":
        target = _id_type(name, owner)
        for type_name in NODE_TYPES if target == ANY_NODE else [target]:
            yield Slot(path, type_name)
    elif isinstance(type_, GraphQLScalarType) and name in LOOKUP_KEYS:
        yield Slot(path, EXTERNAL_ID)


def _field_slots(field: GraphQLField, owner: str | None, root_lookups: bool) -> list[Slot]:
    slots = []
    for name, argument in field.args.items():
        if root_lookups and name in ROOT_LOOKUP_KEYS:
            slots.append(Slot((name,), EXTERNAL_ID))
        else:
            slots += _slots(argument.type, (name,), name, owner, frozenset())
    return slots


def _cases(operation: str) -> list[tuple[str, Slot | None]]:
    """Each root field with each place it takes an id (a query or subscription without any
    is walked once); and each field of a node type that takes an id, as `Type.field`."""
    mutations = operation == "mutation"
    cases: list[tuple[str, Slot | None]] = []
    for name, field in sorted(ROOTS[operation].fields.items()):
        owner = (_owner(name) if "id" in _input_fields(field) else None) if mutations else ANY_NODE
        slots = _field_slots(field, owner, root_lookups=not mutations)
        if slots:
            cases += [(name, slot) for slot in slots]
        elif not mutations:
            cases.append((name, None))
    if operation == "query":
        for type_name in NODE_TYPES:
            for name, field in sorted(_object(type_name).fields.items()):
                slots = _field_slots(field, ANY_NODE, root_lookups=False)
                cases += [(f"{type_name}.{name}", slot) for slot in slots]
    return cases


def _object(type_name: str) -> GraphQLObjectType:
    type_ = SCHEMA.get_type(type_name)
    assert isinstance(type_, GraphQLObjectType)
    return type_


def _input_fields(field: GraphQLField) -> set[str]:
    names: set[str] = set()
    for argument in field.args.values():
        named = get_named_type(argument.type)
        if isinstance(named, GraphQLInputObjectType):
            names |= set(named.fields)
    return names


QUERY_CASES = _cases("query")
MUTATION_CASES = _cases("mutation")
SUBSCRIPTION_CASES = _cases("subscription")

Fill = Callable[[tuple[str | int, ...], str], Any]  # (path, what it names) -> the id to send


def _value(
    type_: GraphQLInputType,
    name: str,
    path: tuple[str | int, ...],
    slot: Slot | None,
    fill: Fill,
    owner: str,
) -> Any:
    """A valid value for an input, with `fill`'s ids wherever ids (and lookup keys) go."""
    if isinstance(type_, GraphQLNonNull):
        return _value(type_.of_type, name, path, slot, fill, owner)
    if isinstance(type_, GraphQLList):
        if name in VALUES:
            return VALUES[name]
        return [_value(type_.of_type, name, (*path, 0), slot, fill, owner)]
    if slot is not None and path == slot.path:
        return fill(path, slot.type_name)
    if isinstance(type_, GraphQLInputObjectType):
        at_slot = slot is not None and slot.path[:-1] == path
        companions = COMPANIONS.get(str(slot.path[-1]), {}) if slot and at_slot else {}
        value = {}
        for field_name, field in type_.fields.items():
            field_path = (*path, field_name)
            if field_name in companions:
                value[field_name] = companions[field_name]
            elif (
                (slot is not None and slot.path[: len(field_path)] == field_path)
                or field_name in OPTIONAL
                or (isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined)
            ):
                value[field_name] = _value(field.type, field_name, field_path, slot, fill, owner)
        return value
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    if type_.name == "ID":
        return fill(path, _id_type(name, owner))
    if name in VALUES:
        return VALUES[name]
    return {
        "String": "Walk",
        "Int": 1,
        "Float": 0.5,
        "Boolean": False,
        "Decimal": "1",
        "DateTime": dt.datetime.now(dt.UTC).isoformat(),
        "Date": TODAY.isoformat(),
    }.get(type_.name, "x")


def _selection(type_: Any) -> str:
    """What to read back: ids (and counts) of whatever the field returns, and user errors."""
    named = get_named_type(type_)
    if isinstance(named, GraphQLInterfaceType):
        return "{ __typename id }"
    if not isinstance(named, GraphQLObjectType):
        return ""
    if named.name == "UserError":
        return "{ code field }"
    if "totalCount" in named.fields:
        return "{ totalCount nodes { id } }"
    if "id" in named.fields:
        return "{ id }"
    parts = [f"{name} {_selection(field.type)}".strip() for name, field in named.fields.items()]
    return "{ " + " ".join(parts) + " }"


def _document(
    operation: str, field: str, slot: Slot | None, fill: Fill
) -> tuple[str, dict[str, Any]]:
    """The operation on one field (`Type.field`: reached through `node`), and its variables."""
    type_name, _, name = field.rpartition(".")
    definition = (_object(type_name) if type_name else ROOTS[operation]).fields[name]
    owner = (
        _owner(name) if operation == "mutation" and "id" in _input_fields(definition) else ANY_NODE
    )
    declarations, arguments, variables = [], [], {}
    for argument_name, argument in definition.args.items():
        if not _sent(argument_name, argument, slot):
            continue
        variables[argument_name] = _value(
            argument.type, argument_name, (argument_name,), slot, fill, owner
        )
        declarations.append(f"${argument_name}: {argument.type}")
        arguments.append(f"{argument_name}: ${argument_name}")
    args = f"({', '.join(arguments)})" if arguments else ""
    body = f"{name}{args} {_selection(definition.type)}"
    if type_name:
        # one of our own rows of that type, the field's ids being theirs
        variables["walkNode"] = fill(("walkNode",), type_name)
        declarations.append("$walkNode: ID!")
        body = f"node(id: $walkNode) {{ ... on {type_name} {{ {body} }} }}"
    header = f"{operation} Walk({', '.join(declarations)})" if declarations else operation
    return f"{header} {{ {body} }}", variables


def _sent(name: str, argument: GraphQLArgument, slot: Slot | None) -> bool:
    required = isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    return required or name in VALUES or (slot is not None and slot.path[0] == name)


# --- the two organisations ---------------------------------------------------------------------


@dataclass
class Side:
    """One organisation of the walk: a live id of every kind, and its callers' credentials."""

    name: str
    id: int
    slug: str
    ids: dict[str, str]  # node type (or EXTERNAL_ID) -> a row that others point at
    node_ids: frozenset[str]  # every row's global id
    every_id: frozenset[str]  # and its events' ids
    key_result: tuple[Decimal, Decimal]  # the live key result's start and target
    admin_email: str
    member_email: str
    key_secret: str

    def missing(self, type_name: str) -> str:
        return "walk-missing" if type_name == EXTERNAL_ID else encode_id(type_name, MISSING_PK)


@dataclass
class Server:
    http: httpx.AsyncClient  # in-process, for speed
    port: int  # the same app on a real socket, for WebSockets


@contextlib.asynccontextmanager
async def _serve(database_url: str, layer: dict[str, Any]) -> AsyncIterator[Server]:
    app = create_app(signin_settings(**layer), url=database_url)
    async with serving(app) as port:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as http:
            yield Server(http, port)


@pytest.fixture(scope="module")
async def servers(database_url: str) -> AsyncIterator[dict[str, Server]]:
    async with contextlib.AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(_serve(database_url, layer))
            for name, layer in LAYERS.items()
        }


Send = Callable[[str, dict[str, Any] | None], Awaitable[httpx.Response]]


def _sender(http: httpx.AsyncClient, slug: str, bearer: str | None) -> Send:
    headers = {"accept": "application/graphql-response+json", "x-organization": slug}
    if bearer:
        headers["authorization"] = f"Bearer {bearer}"

    async def send(query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    return send


async def _write(send: Send, mutation: str, input_: dict[str, Any], selection: str) -> Any:
    """An arranging write through the API; it must succeed."""
    response = await send(
        f"mutation ($input: {mutation[0].upper()}{mutation[1:]}Input!) "
        f"{{ {mutation}(input: $input) {{ {selection} userErrors {{ code field message }} }} }}",
        {"input": input_},
    )
    body = response.json()
    assert "errors" not in body, body
    assert not body["data"][mutation]["userErrors"], body
    return body["data"][mutation]


async def _arrange_a(pool: asyncpg.Pool[Any], send: Send, org: dict[str, Any]) -> None:
    """Organisation A's OKRs, written through the API by its admin (so each has an event)."""
    year = await _write(
        send,
        "createCycle",
        {"name": "Year", "startsOn": (TODAY - dt.timedelta(days=200)).isoformat(),
         "endsOn": (TODAY + dt.timedelta(days=200)).isoformat()},
        "cycle { id }",
    )  # fmt: skip
    quarter = await _write(
        send,
        "createCycle",
        {"name": "Quarter", "startsOn": (TODAY - dt.timedelta(days=30)).isoformat(),
         "endsOn": (TODAY + dt.timedelta(days=60)).isoformat(),
         "parentCycleId": year["cycle"]["id"]},
        "cycle { id }",
    )  # fmt: skip
    cycle = quarter["cycle"]["id"]
    marketing = await _write(send, "createTeam", {"name": "Marketing"}, "team { id }")
    demand = await _write(
        send,
        "createTeam",
        {"name": "Demand", "parentTeamId": marketing["team"]["id"]},
        "team { id }",
    )
    team = demand["team"]["id"]
    mia = encode_id("User", await member(pool, org, "Mia", "MEMBER"))
    await _write(send, "addTeamMember", {"teamId": team, "userId": mia}, "team { id }")
    company = await _write(
        send,
        "createObjective",
        {"title": "Grow", "cycleId": cycle, "level": "COMPANY"},
        "objective { id }",
    )
    await _write(
        send,
        "createObjective",
        {"title": "Brand", "cycleId": cycle, "level": "COMPANY"},
        "objective { id }",
    )
    leads = await _write(
        send,
        "createObjective",
        {"title": "Leads", "cycleId": cycle, "level": "TEAM", "ownerTeamId": team},
        "objective { id }",
    )
    await _write(
        send,
        "createObjective",
        {"title": "Mine", "cycleId": cycle, "level": "PERSON", "ownerUserId": mia},
        "objective { id }",
    )
    company_kr = await _write(
        send,
        "createKeyResult",
        {"objectiveId": company["objective"]["id"], "title": "Revenue", "kind": "NUMERIC",
         "startValue": "0", "targetValue": "100"},
        "keyResult { id }",
    )  # fmt: skip
    leads_kr = await _write(
        send,
        "createKeyResult",
        {"objectiveId": leads["objective"]["id"], "title": "Leads", "kind": "NUMERIC",
         "startValue": "0", "targetValue": "100", "ownerId": mia, "externalId": "walk-a"},
        "keyResult { id }",
    )  # fmt: skip
    await _write(
        send,
        "alignObjective",
        {"childObjectiveId": leads["objective"]["id"],
         "parentObjectiveId": company["objective"]["id"],
         "parentKeyResultId": company_kr["keyResult"]["id"]},
        "child { id }",
    )  # fmt: skip
    await _write(
        send,
        "createCheckIn",
        {"keyResultId": leads_kr["keyResult"]["id"], "value": "10", "confidence": "ON_TRACK"},
        "checkIn { id }",
    )


async def _administration(send: Send, events: str) -> str:
    """A webhook endpoint (with a delivery), an API key with every scope, a pending
    invitation and the admin's personal access token; the key's secret."""
    await _write(
        send,
        "createPersonalAccessToken",
        {"name": "Walk script", "scopes": ["READ"]},
        "personalAccessToken { id }",
    )
    await _write(
        send,
        "inviteMember",
        {"email": f"invitee-{uuid.uuid4().hex[:8]}@walk.example", "name": "Ivy Invitee"},
        "invitation { id }",
    )
    await _write(
        send,
        "createWebhookEndpoint",
        {"url": "https://walk.example/hook", "eventTypes": [events]},
        "webhookEndpoint { id }",
    )
    key = await _write(
        send,
        "createApiKey",
        {"name": "Walk", "scopes": ["READ", "WRITE", "CHECKINS_WRITE"]},
        "secret",
    )
    secret: str = key["secret"]
    return secret


_check_in_values = itertools.count(1)


async def _check_in(server: Server, side: Side) -> None:
    """A check-in of the side's live key result, as its admin, moving its progress."""
    start, target = side.key_result
    # a share of the way from start to target that no check-in had yet
    share = (Decimal(next(_check_in_values) % 90) + Decimal("5.37")) / 100
    value = start + (target - start) * share
    await _write(
        _sender(server.http, side.slug, None),
        "createCheckIn",
        {"keyResultId": side.ids["KeyResult"], "value": str(value), "confidence": "AT_RISK"},
        "checkIn { id }",
    )


async def _side(pool: asyncpg.Pool[Any], name: str, organization_id: int, secret: str) -> Side:
    chain = await pool.fetchrow(CHAIN, organization_id)
    assert chain is not None, f"{name} has no team objective to walk"
    slug = await pool.fetchval("SELECT slug FROM organization WHERE id = $1", organization_id)
    ids = {
        "Organization": encode_id("Organization", organization_id),
        "User": encode_id("User", chain["member_id"]),
        "Team": encode_id("Team", chain["owner_team_id"]),
        "Cycle": encode_id("Cycle", chain["cycle_id"]),
        "Objective": encode_id("Objective", chain["objective_id"]),
        "KeyResult": encode_id("KeyResult", chain["key_result_id"]),
        "CheckIn": encode_id("CheckIn", chain["check_in_id"]),
        ROOT_OBJECTIVE: encode_id("Objective", chain["root_objective_id"]),
        EXTERNAL_ID: chain["external_id"],
    }
    every: dict[str, set[str]] = {}
    for type_name, sql in ROWS.items():
        if type_name not in [*NODE_TYPES, *ID_ONLY_TYPES] and type_name != "AuditEvent":
            continue
        pks = [row[0] for row in await pool.fetch(sql, organization_id)]
        every[type_name] = {encode_id(type_name, pk) for pk in pks}
        ids.setdefault(type_name, encode_id(type_name, min(pks)))
    assert set(NODE_TYPES) <= set(ids), f"list the rows of {set(NODE_TYPES) - set(ids)} in ROWS"
    return Side(
        name=name,
        id=organization_id,
        slug=slug,
        ids=ids,
        node_ids=frozenset().union(*(every[t] for t in NODE_TYPES)),
        every_id=frozenset().union(*every.values()),
        key_result=(Decimal(chain["start_value"]), Decimal(chain["target_value"])),
        admin_email=chain["admin_email"],
        member_email=chain["member_email"],
        key_secret=secret,
    )


@pytest.fixture(scope="module")
async def world(
    pool: asyncpg.Pool[Any], demo_organization: int, servers: dict[str, Server]
) -> dict[str, Side]:
    server = next(iter(servers.values()))
    slug = f"walk-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        a_id = await create_organization(conn, "Walk A AB", slug, "Europe/Amsterdam")
        await add_member(conn, a_id, "Ada Admin", f"admin+{slug}@test.example", "ADMIN")
    a_admin = _sender(server.http, slug, None)
    a_secret = await _administration(a_admin, "team.created")
    await _arrange_a(pool, a_admin, {"id": a_id, "slug": slug})

    # The shared demo organisation gets what the seed leaves out: an API key, a webhook
    # endpoint with a delivery, an external id, and a check-in with its events.
    demo_admin = _sender(server.http, "demo", None)
    demo_secret = await _administration(demo_admin, "api_key.created")
    chain = await pool.fetchrow(CHAIN, demo_organization)
    assert chain is not None
    await _write(
        demo_admin,
        "updateKeyResult",
        {"id": encode_id("KeyResult", chain["key_result_id"]), "externalId": "walk-demo"},
        "keyResult { id }",
    )
    # Settled, so that no webhook worker of another test ever tries to send them.
    await pool.execute(
        "UPDATE webhook_delivery SET status = 'FAILED' WHERE organization_id = ANY($1::bigint[])",
        [a_id, demo_organization],
    )
    if "WebhookDeliveryAttempt" in NODE_TYPES:
        # Attempts are the worker's to write; here each delivery's one failed try.
        await pool.execute(
            """INSERT INTO webhook_delivery_attempt
                 (organization_id, delivery_id, attempt, started_at, duration_ms, error)
               SELECT organization_id, id, 1, now(), 0, 'never sent: arranged by a test'
               FROM webhook_delivery WHERE organization_id = ANY($1::bigint[])""",
            [a_id, demo_organization],
        )
    # (the seed records no events; this check-in becomes the demo's live one, with its event)
    await _check_in(server, await _side(pool, "demo", demo_organization, demo_secret))
    # A member's history (a role changed and back), so auditEvents has something to find
    # for the walk's User.
    for organization_id, org_slug in ((a_id, slug), (demo_organization, "demo")):
        chain = await pool.fetchrow(CHAIN, organization_id)
        assert chain is not None
        admin = _sender(server.http, org_slug, None)
        for role in ("VIEWER", "MEMBER"):
            await _write(
                admin,
                "updateMember",
                {"id": encode_id("User", chain["member_id"]), "role": role},
                "member { id }",
            )
        # and their personal access token, for the filters naming them to find
        async with pool.acquire() as conn, tenant_transaction(conn, organization_id):
            await issue_key(
                conn,
                organization_id,
                name="Walk member script",
                scopes=["read"],
                created_by=chain["member_id"],
                user_id=chain["member_id"],
            )
    sides = {
        "A": await _side(pool, "A", a_id, a_secret),
        "demo": await _side(pool, "demo", demo_organization, demo_secret),
    }
    for side in sides.values():
        # First sign-ins link each person's identity: done before any fingerprint is taken.
        for email in (side.admin_email, side.member_email):
            send = _sender(server.http, side.slug, token_for(email))
            response = await send("{ viewer { id } }", None)
            assert response.json()["data"]["viewer"], response.text
    return sides


async def _fingerprint_query(pool: asyncpg.Pool[Any]) -> str:
    """One statement summing a hash of every row of each organisation in every tenant table
    (found in the catalog, so a new table is covered); a key's last use is not a change."""
    tables = await pool.fetch(
        """SELECT c.table_name, bool_or(k.column_name IS NOT NULL) AS has_last_use
           FROM information_schema.columns c
           JOIN information_schema.tables t
             ON t.table_schema = c.table_schema AND t.table_name = c.table_name
           LEFT JOIN information_schema.columns k
             ON k.table_schema = c.table_schema AND k.table_name = c.table_name
            AND k.column_name = 'last_used_at'
           WHERE c.table_schema = 'public' AND c.column_name = 'organization_id'
             AND t.table_type = 'BASE TABLE'
           GROUP BY c.table_name ORDER BY 1"""
    )
    rows = [
        f"SELECT r.organization_id AS o, '{table}' || "
        + ("(to_jsonb(r) - 'last_used_at')::text" if has_last_use else "r::text")
        + f' AS x FROM "{table}" r WHERE r.organization_id = ANY($1::bigint[])'
        for table, has_last_use in tables
    ]
    rows.append("SELECT r.id, 'organization' || r::text FROM organization r WHERE r.id = ANY($1)")
    return (
        "SELECT o, count(*), sum(hashtextextended(x, 0))"
        f" FROM ({' UNION ALL '.join(rows)}) rows GROUP BY o ORDER BY o"
    )


@pytest.fixture(scope="module")
async def fingerprint(pool: asyncpg.Pool[Any]) -> Callable[..., Awaitable[list[Any]]]:
    sql = await _fingerprint_query(pool)

    async def of(*sides: Side) -> list[Any]:
        return [tuple(row) for row in await pool.fetch(sql, [side.id for side in sides])]

    return of


# --- the callers ---------------------------------------------------------------------------------


@dataclass
class Caller:
    own: Side
    theirs: Side
    kind: str
    layer: str
    server: Server
    bearer: str

    def send(self, query: str, variables: dict[str, Any]) -> Awaitable[httpx.Response]:
        return _sender(self.server.http, self.own.slug, self.bearer)(query, variables)


CALLERS = [
    pytest.param((own, theirs, kind, layer), id=f"{own} calls {theirs}-{kind}-{layer}")
    for own, theirs in (("A", "demo"), ("demo", "A"))
    for kind in KINDS
    for layer in LAYERS
]


@pytest.fixture(params=CALLERS)
def caller(
    request: pytest.FixtureRequest, world: dict[str, Side], servers: dict[str, Server]
) -> Caller:
    own, theirs, kind, layer = request.param
    side = world[own]
    bearer = {
        "admin": lambda: token_for(side.admin_email),
        "member": lambda: token_for(side.member_email),
        "api key": lambda: side.key_secret,
    }[kind]()
    return Caller(side, world[theirs], kind, layer, servers[layer], bearer)


def _filler(own: Side, slot: Slot | None, at_slot: str) -> Fill:
    """`at_slot` at the slot, and our own ids wherever else an id is required."""

    def fill(path: tuple[str | int, ...], type_name: str) -> Any:
        if slot is not None and path == slot.path:
            return at_slot
        role = OWN_BY_FIELD.get(str(path[-1]), type_name)
        return own.ids["Objective" if role == ANY_NODE else role]

    return fill


def _theirs_in(data: Any, theirs: frozenset[str]) -> set[str]:
    """Every value anywhere in an answer's data that names a row of the other organisation."""
    if isinstance(data, dict):
        return set().union(*(_theirs_in(v, theirs) for v in data.values()))
    if isinstance(data, list):
        return set().union(*(_theirs_in(v, theirs) for v in data))
    return {data} if isinstance(data, str) and data in theirs else set()


def _outcome(response: httpx.Response) -> dict[str, Any]:
    """An answer as a client can tell answers apart (messages aside)."""
    body = response.json()
    errors = sorted(
        (str((e.get("extensions") or {}).get("code")), json.dumps(e.get("path")))
        for e in body.get("errors", [])
    )
    return {"status": response.status_code, "data": body.get("data"), "errors": errors}


async def _walk(
    caller: Caller, operation: str, field: str, slot: Slot | None
) -> tuple[httpx.Response, httpx.Response | None]:
    """The field with their id at the slot, and with an id that exists nowhere."""
    at_theirs = caller.theirs.ids[slot.type_name] if slot else ""
    foreign = await caller.send(
        *_document(operation, field, slot, _filler(caller.own, slot, at_theirs))
    )
    if slot is None:
        return foreign, None
    missing_id = caller.theirs.missing(slot.type_name)
    missing = await caller.send(
        *_document(operation, field, slot, _filler(caller.own, slot, missing_id))
    )
    return foreign, missing


def _nothing_of_theirs(response: httpx.Response, caller: Caller) -> None:
    # executed (a request error would read the same for any id, proving nothing)
    assert response.status_code == 200, response.text
    assert not _theirs_in(response.json().get("data"), caller.theirs.every_id), response.text


# --- the tests ----------------------------------------------------------------------------------


def test_the_walk_reaches_every_id_the_schema_takes() -> None:
    # Generated, so this guards the generator: every node type is walked through node(id:),
    # ids are found inside input objects and lists, a field taking an id is reachable, and
    # every document is valid (else both of a walk's answers would be the same refusal).
    cases = {"query": QUERY_CASES, "mutation": MUTATION_CASES, "subscription": SUBSCRIPTION_CASES}
    walked = {(field, str(slot)) for all_ in cases.values() for field, slot in all_ if slot}
    assert {("node", f"id:{t}") for t in NODE_TYPES} <= walked
    assert ("objectives", "filter.cycleId:Cycle") in walked
    assert ("createCheckIns", "input.items.0.keyResultId:KeyResult") in walked
    assert ("createApiKey", "input.teamIds.0:Team") in walked
    assert ("checkInCreated", "filter.teamId:Team") in walked
    for type_ in SCHEMA.type_map.values():
        if isinstance(type_, GraphQLObjectType) and type_.name not in [*NODE_TYPES, *ROOTS]:
            if type_ in ROOTS.values() or type_.name.startswith("__"):
                continue
            for name, field in type_.fields.items():
                assert not _field_slots(field, ANY_NODE, root_lookups=False), (
                    f"{type_.name}.{name} takes an id, and the walk reaches only root fields"
                    " and fields of node types"
                )
    for operation, operation_cases in cases.items():
        for field, slot in operation_cases:
            query, variables = _document(operation, field, slot, lambda path, t: "SWQ6MQ")
            document = parse(query)
            assert not validate(SCHEMA, document), query
            [definition] = document.definitions
            assert isinstance(definition, OperationDefinitionNode)
            coerced = get_variable_values(SCHEMA, definition.variable_definitions or [], variables)
            assert not isinstance(coerced, list), (query, variables, coerced)


async def test_every_row_of_theirs_is_invisible_by_node(caller: Caller) -> None:
    theirs = sorted(caller.theirs.node_ids)
    missing = [caller.theirs.missing(decode_id(i)[0]) for i in theirs]
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"
    foreign = await caller.send(query, {"ids": theirs})
    assert not _theirs_in(foreign.json().get("data"), caller.theirs.every_id), foreign.text
    assert _outcome(foreign) == _outcome(await caller.send(query, {"ids": missing}))


@pytest.mark.parametrize(
    ("field", "slot"), QUERY_CASES, ids=[f"{f}-{s or 'no id'}" for f, s in QUERY_CASES]
)
async def test_every_query_with_their_id(caller: Caller, field: str, slot: Slot | None) -> None:
    foreign, missing = await _walk(caller, "query", field, slot)
    _nothing_of_theirs(foreign, caller)
    if missing is not None:
        assert _outcome(foreign) == _outcome(missing)


@pytest.mark.parametrize(
    ("mutation", "slot"), MUTATION_CASES, ids=[f"{m}-{s}" for m, s in MUTATION_CASES]
)
async def test_every_mutation_with_their_id_writes_nothing(
    caller: Caller,
    fingerprint: Callable[..., Awaitable[list[Any]]],
    mutation: str,
    slot: Slot,
) -> None:
    before = await fingerprint(caller.own, caller.theirs)
    foreign, missing = await _walk(caller, "mutation", mutation, slot)
    assert await fingerprint(caller.own, caller.theirs) == before, f"{mutation} wrote"
    _nothing_of_theirs(foreign, caller)
    assert missing is not None
    body = foreign.json()
    data = (body.get("data") or {}).get(mutation) or {}
    assert data.get("userErrors") or body.get("errors"), body
    assert _outcome(foreign) == _outcome(missing)
    if caller.kind == "admin":
        # an admin may do anything, so only the id can be at fault
        # (a list names the whole list, or the item)
        path = ["input", *map(str, slot.path[1:])]
        fields = [path, [p for p in path if not p.isdigit()]]
        not_found = [e["field"] for e in data.get("userErrors", []) if e["code"] == "NOT_FOUND"]
        assert any(field in not_found for field in fields), body


async def _receive(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


async def test_every_subscription_with_their_id_hears_nothing(caller: Caller) -> None:
    headers = {"Authorization": f"Bearer {caller.bearer}", "X-Organization": caller.own.slug}
    subscriptions: dict[str, tuple[str, dict[str, Any]]] = {}
    for field, slot in SUBSCRIPTION_CASES:
        if slot is None:
            continue
        for kind, value in (
            ("theirs", caller.theirs.ids[slot.type_name]),
            ("missing", caller.theirs.missing(slot.type_name)),
        ):
            fill = _filler(caller.own, slot, value)
            subscriptions[f"{kind} {field} {slot}"] = _document("subscription", field, slot, fill)
    controls = {field for field, _ in SUBSCRIPTION_CASES}
    for field in controls:
        subscriptions[f"control {field}"] = _document(
            "subscription", field, None, _filler(caller.own, None, "")
        )
    heard: dict[str, list[dict[str, Any]]] = {op: [] for op in subscriptions}
    async with websockets.connect(
        f"ws://127.0.0.1:{caller.server.port}/graphql", subprotocols=["graphql-transport-ws"]
    ) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": headers}))
        assert await _receive(ws) == {"type": "connection_ack"}
        for op, (query, variables) in subscriptions.items():
            payload = {"query": query, "variables": variables}
            await ws.send(json.dumps({"id": op, "type": "subscribe", "payload": payload}))
        # The server reads a connection's messages in order: once it answers the ping, every
        # subscription above is in place (or refused).
        await ws.send(json.dumps({"type": "ping"}))
        while (message := await _receive(ws))["type"] != "pong":
            heard[message["id"]].append(message)
        # A check-in in their organisation that every filter of theirs matches, then one in
        # ours. Events reach subscribers in commit order, one after another, so once ours have
        # arrived, anything theirs would have arrived before.
        await _check_in(caller.server, caller.theirs)
        await _check_in(caller.server, caller.own)
        while not all(heard[f"control {field}"] for field in controls):
            try:
                message = await _receive(ws)
            except TimeoutError:
                raise AssertionError(heard) from None
            heard[message["id"]].append(message)
    for field in controls:
        for message in heard[f"control {field}"]:
            assert message["type"] == "next", message
            assert not _theirs_in(message["payload"], caller.theirs.every_id), message
    for op, messages in heard.items():
        if op.startswith("theirs"):
            assert not _theirs_in(messages, caller.theirs.every_id), messages
            assert [m["type"] for m in messages if m["type"] == "next"] == [], (op, messages)
            missing = heard["missing" + op.removeprefix("theirs")]
            assert _codes(messages) == _codes(missing), (op, messages, missing)


def _codes(messages: list[dict[str, Any]]) -> list[tuple[str, list[Any]]]:
    return [
        (m["type"], [(e.get("extensions") or {}).get("code") for e in m.get("payload") or []])
        for m in messages
        if m["type"] == "error"
    ]


async def test_the_walk_would_catch_a_leak(
    database_url: str, pool: asyncpg.Pool[Any], world: dict[str, Side]
) -> None:
    # A control: with neither the planner's predicate nor row-level security (a superuser
    # role bypasses it), the ids the walk sends do bring the other organisation's rows back,
    # through every query that takes an id and as every node type, in both directions; so
    # the walk above would have caught a leak in either layer alone.
    settings = Settings(
        environment="development", application_tenant_filter=False, database_role=""
    )
    app = create_app(settings, url=database_url)
    leaked: set[tuple[str, str, str]] = set()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as http:
            for own, theirs in (("A", "demo"), ("demo", "A")):
                send = _sender(http, world[own].slug, None)
                for field, slot in QUERY_CASES:
                    if slot is None:
                        continue
                    fill = _filler(world[own], slot, world[theirs].ids[slot.type_name])
                    response = await send(*_document("query", field, slot, fill))
                    if _theirs_in(response.json().get("data"), world[theirs].every_id):
                        leaked.add((own, field, slot.type_name))
    taking_ids = {field for field, slot in QUERY_CASES if slot} - BOUND_BY_THE_VIEWER
    for own in ("A", "demo"):
        assert {field for o, field, _ in leaked if o == own} == taking_ids
        assert {t for o, field, t in leaked if o == own and field == "node"} == set(NODE_TYPES)
    # and every id the walk sends finds rows (in one direction at least), the history's
    # subjects where some change was recorded
    subjects = {
        row[0]
        for row in await pool.fetch(
            "SELECT DISTINCT subject_type FROM event WHERE organization_id = ANY($1::bigint[])",
            [side.id for side in world.values()],
        )
    }
    assert {(field, t) for _, field, t in leaked} == {
        (field, slot.type_name)
        for field, slot in QUERY_CASES
        if slot
        and field not in BOUND_BY_THE_VIEWER
        and (field != "auditEvents" or slot.type_name in subjects)
    }
