"""Members and invitations through GraphQL: inviting, accepting at sign-in, changing roles and
profiles, deactivating (with a hand-over) and reactivating; every rule and its bad input."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any, TypeAlias

import asyncpg
import httpx
import jwt
import pytest

from db.ids import decode_id_of, encode_id
from db.organizations import add_member
from tests.graphql import GraphQLClient
from tests.signin import AUDIENCE, ISSUER, SECRET, member, signin_http, token_for

__all__ = ["signin_http"]

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"

MEMBER = "id name email role status deactivatedAt version teams(first: 10) { nodes { name } }"
INVITE = f"""mutation ($input: InviteMemberInput!) {{
  inviteMember(input: $input) {{
    member {{ {MEMBER} }}
    invitation {{ id email role status sendCount expiresAt teams {{ name }} member {{ id }}
                  invitedBy {{ name }} }}
    invitationToken
    userErrors {{ field message code }}
  }}
}}"""
RESEND = """mutation ($input: ResendInvitationInput!) {
  resendInvitation(input: $input) {
    invitation { id status sendCount expiresAt } invitationToken
    userErrors { field message code }
  }
}"""
REVOKE = """mutation ($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) {
    invitation { id status revokedAt member { id } } userErrors { field message code }
  }
}"""
UPDATE = f"""mutation ($input: UpdateMemberInput!) {{
  updateMember(input: $input) {{ member {{ {MEMBER} }} userErrors {{ field message code }} }}
}}"""
DEACTIVATE = f"""mutation ($input: DeactivateMemberInput!) {{
  deactivateMember(input: $input) {{
    member {{ {MEMBER} }} transferredObjectives transferredKeyResults
    userErrors {{ field message code }}
  }}
}}"""
REACTIVATE = f"""mutation ($input: ReactivateMemberInput!) {{
  reactivateMember(input: $input) {{ member {{ {MEMBER} }} userErrors {{ field message code }} }}
}}"""


async def _run(gql: GraphQLClient, query: str, **input: Any) -> dict[str, Any]:
    data = await gql.data(query, {"input": input})
    (payload,) = data.values()
    assert isinstance(payload, dict)
    return payload


def _codes(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


def _email(tag: str = "ivy") -> str:
    return f"{tag}.{uuid.uuid4().hex[:8]}@people.example"


def _member_token(org: Org, name: str) -> str:
    """A token of a person `tests/signin.py`'s `member` added."""
    return token_for(f"{name}+{org['slug']}@test.example")


def _token(email: str, *, subject: str | None = None, verified: bool = True) -> str:
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject or f"sub-{email}",
        "iat": now,
        "exp": now + dt.timedelta(minutes=10),
        "email": email,
        "email_verified": verified,
    }
    return jwt.encode(claims, SECRET, algorithm="HS256")


async def _sign_in(
    http: httpx.AsyncClient, org: Org, bearer: str, invitation: str | None = None
) -> httpx.Response:
    headers = {"authorization": f"Bearer {bearer}", "x-organization": org["slug"]}
    if invitation is not None:
        headers["x-invitation-token"] = invitation
    return await http.post(
        "/graphql", json={"query": "{ viewer { id name role status } }"}, headers=headers
    )


def _error_code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def _counts(pool: Pool, org: Org) -> tuple[int, ...]:
    row = await pool.fetchrow(
        """SELECT (SELECT count(*) FROM membership WHERE organization_id = $1),
                  (SELECT count(*) FROM invitation WHERE organization_id = $1),
                  (SELECT count(*) FROM team_member WHERE organization_id = $1),
                  (SELECT count(*) FROM event WHERE organization_id = $1),
                  (SELECT sum(version) FROM membership WHERE organization_id = $1)""",
        org["id"],
    )
    return tuple(row)


async def _team(gql: GraphQLClient, name: str = "Marketing") -> str:
    payload = await _run(
        gql,
        "mutation ($input: CreateTeamInput!) { createTeam(input: $input) { team { id } "
        "userErrors { code } } }",
        name=name,
    )
    team_id: str = payload["team"]["id"]
    return team_id


async def _invited(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload = await _run(gql, INVITE, **({"name": "Ivy Invitee", "email": _email()} | input))
    assert payload["userErrors"] == [], payload
    return payload


async def _events(pool: Pool, org: Org, user_id: int) -> list[tuple[str, Any]]:
    rows = await pool.fetch(
        "SELECT type, after FROM event WHERE organization_id = $1 AND subject_type = 'User'"
        " AND subject_id = $2 ORDER BY id",
        org["id"],
        user_id,
    )
    return [(r["type"], r["after"]) for r in rows]


# --- inviting ---------------------------------------------------------------------------------


async def test_an_invited_person_is_an_invited_member_with_their_role_and_teams(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    team = await _team(gql)
    email = _email("Ivy.Larsson")
    payload = await _invited(gql, email=email, name="  Ivy Larsson ", role="VIEWER", teamIds=[team])
    person = payload["member"]
    assert person["name"] == "Ivy Larsson"
    assert (person["email"], person["role"], person["status"]) == (email, "VIEWER", "INVITED")
    assert person["teams"]["nodes"] == [{"name": "Marketing"}]
    invitation = payload["invitation"]
    assert (invitation["status"], invitation["role"], invitation["sendCount"]) == (
        "PENDING",
        "VIEWER",
        1,
    )
    assert invitation["teams"] == [{"name": "Marketing"}]
    assert invitation["member"]["id"] == person["id"]
    assert invitation["invitedBy"]["name"] == "Ada Admin"
    expires = dt.datetime.fromisoformat(invitation["expiresAt"])
    assert dt.timedelta(days=13, hours=23) < expires - dt.datetime.now(dt.UTC) <= dt.timedelta(14)
    assert payload["invitationToken"].startswith("okrqlinv_")
    # okrql keeps only the token's hash
    stored = await pool.fetchval(
        "SELECT token_hash FROM invitation WHERE organization_id = $1", org["id"]
    )
    assert payload["invitationToken"].encode() not in stored
    user_id = decode_id_of(person["id"], "User")
    [(kind, after)] = await _events(pool, org, user_id)
    assert kind == "member.invited"
    assert after["email"] == email
    assert after["role"] == "VIEWER"


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        ({"email": "not-an-email"}, [("INVALID_EMAIL", ["input", "email"])]),
        ({"email": "two@@example.com"}, [("INVALID_EMAIL", ["input", "email"])]),
        ({"email": "spaces in@example.com"}, [("INVALID_EMAIL", ["input", "email"])]),
        ({"email": "nodomain@localhost"}, [("INVALID_EMAIL", ["input", "email"])]),
        ({"email": "   "}, [("REQUIRED", ["input", "email"])]),
        ({"name": " "}, [("REQUIRED", ["input", "name"])]),
        ({"name": "x" * 201}, [("TOO_LONG", ["input", "name"])]),
        ({"expiresInDays": 0}, [("OUT_OF_RANGE", ["input", "expiresInDays"])]),
        ({"expiresInDays": 91}, [("OUT_OF_RANGE", ["input", "expiresInDays"])]),
        ({"teamIds": ["garbage"]}, [("INVALID_ID", ["input", "teamIds"])]),
        (
            {"teamIds": [encode_id("Team", 9_000_000_000)]},
            [("NOT_FOUND", ["input", "teamIds"])],
        ),
        (
            {"email": "bad", "name": ""},
            [("INVALID_EMAIL", ["input", "email"]), ("REQUIRED", ["input", "name"])],
        ),
    ],
)
async def test_bad_invitations_are_refused_and_write_nothing(
    gql: GraphQLClient, pool: Pool, org: Org, input: dict[str, Any], expected: list[Any]
) -> None:
    before = await _counts(pool, org)
    payload = await _run(gql, INVITE, **({"name": "Ivy", "email": _email()} | input))
    assert sorted(_codes(payload)) == sorted(expected)
    assert payload["member"] is None
    assert payload["invitationToken"] is None
    assert await _counts(pool, org) == before


async def test_inviting_a_member_or_an_invitee_again_is_refused_whatever_the_case(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    admin_email = f"admin+{org['slug']}@test.example"
    email = _email()
    await _invited(gql, email=email)
    before = await _counts(pool, org)
    member_again = await _run(gql, INVITE, email=admin_email.upper(), name="Ada")
    invitee_again = await _run(gql, INVITE, email=email.upper(), name="Ivy")
    assert _codes(member_again) == [("ALREADY_MEMBER", ["input", "email"])]
    assert _codes(invitee_again) == [("ALREADY_INVITED", ["input", "email"])]
    assert await _counts(pool, org) == before


async def test_a_person_of_another_organisation_is_invited_as_the_same_person(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    # People are global: the second organisation binds the same person, and its own name
    # for them stays its own.
    email = _email()
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        other = await conn.fetchval(
            "INSERT INTO organization (name, slug) VALUES ('Other', $1) RETURNING id", slug
        )
        known = await add_member(conn, other, "Ivy Elsewhere", email, "MEMBER")
    payload = await _invited(gql, email=email, name="Ivy Here")
    assert decode_id_of(payload["member"]["id"], "User") == known
    assert payload["member"]["name"] == "Ivy Here"
    assert await pool.fetchval("SELECT name FROM app_user WHERE id = $1", known) == "Ivy Elsewhere"
    # and when their account began elsewhere is not this organisation's to know
    await pool.execute("UPDATE app_user SET created_at = '2001-01-01' WHERE id = $1", known)
    read = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on User { createdAt joinedAt } } }",
        {"id": payload["member"]["id"]},
    )
    assert read["node"]["createdAt"] == read["node"]["joinedAt"]
    assert not read["node"]["createdAt"].startswith("2001")


async def test_only_admins_invite(signin_http: httpx.AsyncClient, pool: Pool, org: Org) -> None:
    await member(pool, org, "Max", "MEMBER")
    response = await signin_http.post(
        "/graphql",
        json={"query": INVITE, "variables": {"input": {"email": _email(), "name": "Ivy"}}},
        headers={
            "authorization": f"Bearer {_member_token(org, 'max')}",
            "x-organization": org["slug"],
        },
    )
    assert _error_code(response) == "FORBIDDEN"
    assert response.json()["data"] is None or response.json()["data"]["inviteMember"] is None


# --- accepting at sign-in ---------------------------------------------------------------------


async def test_the_first_sign_in_with_the_invited_email_accepts(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    team = await _team(gql, "Sales")
    email = _email()
    payload = await _invited(gql, email=email, role="ADMIN", teamIds=[team])
    # the identity provider may spell the address in its own case
    response = await _sign_in(signin_http, org, _token(email.upper()))
    assert response.status_code == 200, response.text
    viewer = response.json()["data"]["viewer"]
    assert (viewer["id"], viewer["role"], viewer["status"]) == (
        payload["member"]["id"],
        "ADMIN",
        "ACTIVE",
    )
    data = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Invitation { status acceptedAt } } }",
        {"id": payload["invitation"]["id"]},
    )
    assert data["node"]["status"] == "ACCEPTED"
    assert data["node"]["acceptedAt"]
    user_id = decode_id_of(payload["member"]["id"], "User")
    assert [kind for kind, _ in await _events(pool, org, user_id)] == [
        "member.invited",
        "member.joined",
    ]
    # and the joined member's team membership stands
    member_teams = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on User { teams(first: 5) { nodes { name } } } } }",
        {"id": payload["member"]["id"]},
    )
    assert member_teams["node"]["teams"]["nodes"] == [{"name": "Sales"}]


async def test_an_unverified_or_other_email_does_not_accept(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, org: Org
) -> None:
    email = _email()
    await _invited(gql, email=email)
    unverified = await _sign_in(signin_http, org, _token(email, verified=False))
    other = await _sign_in(signin_http, org, _token(_email("someone")))
    assert unverified.status_code == other.status_code == 401


async def test_the_invitation_token_accepts_for_an_identity_provider_without_that_email(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    payload = await _invited(gql)
    token = payload["invitationToken"]
    # an account whose provider vouches for another address, or for none
    bearer = _token(_email("personal"), verified=False)
    response = await _sign_in(signin_http, org, bearer, token)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["id"] == payload["member"]["id"]
    # the link stands: later requests need no token
    again = await _sign_in(signin_http, org, bearer)
    assert again.json()["data"]["viewer"]["status"] == "ACTIVE"
    # and the token is spent
    stranger = await _sign_in(signin_http, org, _token(_email("x"), verified=False), token)
    assert (stranger.status_code, _error_code(stranger)) == (403, "INVITATION_ACCEPTED")


async def test_a_token_does_not_open_someone_elses_account(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    # The invitee already signs in (as a member of this organisation's admin's account): a
    # forwarded token must not link a stranger's identity to them.
    admin_email = f"admin+{org['slug']}@test.example"
    assert (await _sign_in(signin_http, org, token_for(admin_email))).status_code == 200
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        other = await conn.fetchval(
            "INSERT INTO organization (name, slug) VALUES ('Other', $1) RETURNING id", slug
        )
        await add_member(conn, other, "Owner", f"owner+{slug}@test.example", "ADMIN")
    other_gql = GraphQLClient(gql.http, slug)
    payload = await _invited(other_gql, email=admin_email)
    stranger = _token(_email("stranger"), verified=False)
    response = await _sign_in(signin_http, {"slug": slug}, stranger, payload["invitationToken"])
    assert (response.status_code, _error_code(response)) == (403, "INVITATION_FOR_ANOTHER_PERSON")
    # the invitee themself accepts by signing in
    mine = await _sign_in(signin_http, {"slug": slug}, token_for(admin_email))
    assert mine.status_code == 200
    assert mine.json()["data"]["viewer"]["status"] == "ACTIVE"


async def test_an_expired_invitation_lets_nobody_in_until_it_is_resent(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    email = _email()
    payload = await _invited(gql, email=email)
    old_token = payload["invitationToken"]
    await pool.execute(
        "UPDATE invitation SET expires_at = now() - interval '1 second' WHERE organization_id = $1",
        org["id"],
    )
    refused = await _sign_in(signin_http, org, _token(email))
    assert (refused.status_code, _error_code(refused)) == (403, "INVITATION_EXPIRED")
    by_token = await _sign_in(signin_http, org, _token(_email("x"), verified=False), old_token)
    assert (by_token.status_code, _error_code(by_token)) == (403, "INVITATION_EXPIRED")
    listed = await gql.data(
        "{ invitations(first: 5, filter: {status: [EXPIRED]}) { nodes { id } } }"
    )
    assert listed["invitations"]["nodes"] == [{"id": payload["invitation"]["id"]}]

    resent = await _run(gql, RESEND, id=payload["invitation"]["id"], expiresInDays=3)
    assert resent["userErrors"] == []
    assert (resent["invitation"]["status"], resent["invitation"]["sendCount"]) == ("PENDING", 2)
    assert resent["invitationToken"] != old_token
    # the old token no longer names the invitation
    stale = await _sign_in(signin_http, org, _token(_email("y"), verified=False), old_token)
    assert (stale.status_code, _error_code(stale)) == (403, "INVITATION_UNKNOWN")
    accepted = await _sign_in(signin_http, org, _token(email))
    assert accepted.json()["data"]["viewer"]["status"] == "ACTIVE"
    # an accepted invitation is neither resent nor revoked
    again = await _run(gql, RESEND, id=payload["invitation"]["id"])
    assert _codes(again) == [("INVITATION_ACCEPTED", ["input", "id"])]
    assert _codes(await _run(gql, REVOKE, id=payload["invitation"]["id"])) == [
        ("INVITATION_ACCEPTED", ["input", "id"])
    ]


async def test_a_revoked_invitation_removes_the_invitee_and_its_token_stops(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    team = await _team(gql)
    email = _email()
    payload = await _invited(gql, email=email, teamIds=[team])
    revoked = await _run(gql, REVOKE, id=payload["invitation"]["id"])
    assert revoked["userErrors"] == []
    assert revoked["invitation"]["status"] == "REVOKED"
    assert revoked["invitation"]["revokedAt"]
    assert revoked["invitation"]["member"] is None
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM team_member WHERE organization_id = $1", org["id"]
        )
        == 0
    )
    by_email = await _sign_in(signin_http, org, _token(email))
    assert by_email.status_code in (401, 403)
    by_token = await _sign_in(
        signin_http, org, _token(_email("x"), verified=False), payload["invitationToken"]
    )
    assert (by_token.status_code, _error_code(by_token)) == (403, "INVITATION_REVOKED")
    before = await _counts(pool, org)
    for mutation in (REVOKE, RESEND):
        again = await _run(gql, mutation, id=payload["invitation"]["id"])
        assert _codes(again) == [("INVITATION_REVOKED", ["input", "id"])]
    assert await _counts(pool, org) == before
    # and the person can be invited afresh
    await _invited(gql, email=email)


async def test_a_malformed_invitation_header_is_a_bad_request(
    signin_http: httpx.AsyncClient, org: Org
) -> None:
    response = await _sign_in(signin_http, org, _token(_email()), "not-a-token")
    assert (response.status_code, _error_code(response)) == (400, "BAD_REQUEST")


# --- changing members ---------------------------------------------------------------------------


async def test_an_admin_changes_a_members_role_name_and_email(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    user_id = await member(pool, org, "Max", "MEMBER")
    person = encode_id("User", user_id)
    email = _email("max")
    payload = await _run(
        gql, UPDATE, id=person, role="ADMIN", name="Max Power", email=email, version=1
    )
    assert payload["userErrors"] == []
    changed = payload["member"]
    assert (changed["role"], changed["name"], changed["email"], changed["version"]) == (
        "ADMIN",
        "Max Power",
        email,
        2,
    )
    assert [kind for kind, _ in await _events(pool, org, user_id)] == [
        "member.role_changed",
        "member.updated",
    ]
    # a change that changes nothing writes nothing
    before = await _counts(pool, org)
    same = await _run(gql, UPDATE, id=person, role="ADMIN", name="Max Power")
    assert same["userErrors"] == []
    assert same["member"]["version"] == 2
    assert await _counts(pool, org) == before


async def test_bad_member_changes_are_refused_and_write_nothing(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    user_id = await member(pool, org, "Max", "MEMBER")
    person = encode_id("User", user_id)
    before = await _counts(pool, org)
    cases = [
        ({"email": f"ADMIN+{org['slug']}@test.example"}, [("DUPLICATE_EMAIL", ["input", "email"])]),
        ({"email": "nope"}, [("INVALID_EMAIL", ["input", "email"])]),
        ({"name": None}, [("REQUIRED", ["input", "name"])]),
        ({"role": None}, [("REQUIRED", ["input", "role"])]),
        ({"name": "New", "version": 7}, [("STALE_VERSION", ["input", "version"])]),
    ]
    for input, expected in cases:
        payload = await _run(gql, UPDATE, id=person, **input)
        assert _codes(payload) == expected, input
        assert payload["member"] is None
    missing = await _run(gql, UPDATE, id=encode_id("User", 9_000_000_000), name="X")
    assert _codes(missing) == [("NOT_FOUND", ["input", "id"])]
    wrong_type = await _run(gql, UPDATE, id=encode_id("Team", user_id), name="X")
    assert _codes(wrong_type) == [("INVALID_ID", ["input", "id"])]
    assert await _counts(pool, org) == before


async def test_an_unknown_role_is_refused_before_anything_runs(
    gql: GraphQLClient, org: Org
) -> None:
    response = await gql.post(UPDATE, {"input": {"id": encode_id("User", 1), "role": "OWNER"}})
    body = response.json()
    assert body.get("data") is None
    assert "OWNER" in body["errors"][0]["message"]


async def test_the_last_active_admin_can_neither_be_demoted_nor_deactivated(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    admin = encode_id("User", org["admin_id"])
    before = await _counts(pool, org)
    demoted = await _run(gql, UPDATE, id=admin, role="MEMBER")
    deactivated = await _run(gql, DEACTIVATE, id=admin)
    assert _codes(demoted) == [("LAST_ADMIN", ["input", "id"])]
    assert _codes(deactivated) == [("LAST_ADMIN", ["input", "id"])]
    assert await _counts(pool, org) == before
    # an invited or deactivated admin does not count
    invited = await _invited(gql, role="ADMIN")
    assert invited["member"]["role"] == "ADMIN"
    assert _codes(await _run(gql, UPDATE, id=admin, role="MEMBER")) == [
        ("LAST_ADMIN", ["input", "id"])
    ]
    # with a second active admin, the first may step down
    second = await member(pool, org, "Sam", "ADMIN")
    assert (await _run(gql, UPDATE, id=admin, role="MEMBER"))["userErrors"] == []
    assert _codes(await _run(gql, DEACTIVATE, id=encode_id("User", second))) == [
        ("LAST_ADMIN", ["input", "id"])
    ]


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    second = await member(pool, org, "Sam", "ADMIN")
    gql = GraphQLClient(http, org["slug"])
    results = await asyncio.gather(
        _run(gql, UPDATE, id=encode_id("User", org["admin_id"]), role="MEMBER"),
        _run(gql, UPDATE, id=encode_id("User", second), role="VIEWER"),
    )
    assert sorted(len(r["userErrors"]) for r in results) == [0, 1]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM membership WHERE organization_id = $1 AND role = 'ADMIN'",
            org["id"],
        )
        == 1
    )


# --- deactivating and reactivating -----------------------------------------------------------------


async def _objective_with_key_result(gql: GraphQLClient, owner: str) -> tuple[str, str]:
    today = dt.datetime.now(dt.UTC).date()
    cycle = await _run(
        gql,
        "mutation ($input: CreateCycleInput!) { createCycle(input: $input) { cycle { id } "
        "userErrors { code } } }",
        name=f"Q {uuid.uuid4().hex[:6]}",
        startsOn=(today - dt.timedelta(days=10)).isoformat(),
        endsOn=(today + dt.timedelta(days=80)).isoformat(),
    )
    objective = await _run(
        gql,
        "mutation ($input: CreateObjectiveInput!) { createObjective(input: $input) { "
        "objective { id } userErrors { code field } } }",
        title="Mine",
        cycleId=cycle["cycle"]["id"],
        level="PERSON",
        ownerUserId=owner,
    )
    assert objective["userErrors"] == [], objective
    key_result = await _run(
        gql,
        "mutation ($input: CreateKeyResultInput!) { createKeyResult(input: $input) { "
        "keyResult { id } userErrors { code field } } }",
        objectiveId=objective["objective"]["id"],
        title="Leads",
        kind="NUMERIC",
        startValue="0",
        targetValue="10",
        ownerId=owner,
    )
    assert key_result["userErrors"] == [], key_result
    return objective["objective"]["id"], key_result["keyResult"]["id"]


async def test_a_deactivated_member_is_shut_out_at_once_and_keeps_what_they_own(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    user_id = await member(pool, org, "Max", "MEMBER")
    person = encode_id("User", user_id)
    bearer = _member_token(org, "max")
    assert (await _sign_in(signin_http, org, bearer)).status_code == 200
    objective, _ = await _objective_with_key_result(gql, person)

    payload = await _run(gql, DEACTIVATE, id=person)
    assert payload["userErrors"] == []
    assert payload["member"]["status"] == "DEACTIVATED"
    assert payload["member"]["deactivatedAt"]
    # the same token, the next request
    refused = await _sign_in(signin_http, org, bearer)
    assert (refused.status_code, _error_code(refused)) == (403, "MEMBER_DEACTIVATED")
    owner = await gql.data(
        "query ($id: ID!) { node(id: $id) { ... on Objective { ownerUser { name status } } } }",
        {"id": objective},
    )
    assert owner["node"]["ownerUser"] == {"name": "Max", "status": "DEACTIVATED"}
    # nobody new can be given to them
    assigned = await _run(
        gql,
        "mutation ($input: UpdateObjectiveInput!) { updateObjective(input: $input) { "
        "objective { id } userErrors { code field } } }",
        id=objective,
        title="Renamed, still Max's",
    )
    assert assigned["userErrors"] == []
    # deactivating again changes nothing
    before = await _counts(pool, org)
    assert (await _run(gql, DEACTIVATE, id=person))["userErrors"] == []
    assert await _counts(pool, org) == before

    reactivated = await _run(gql, REACTIVATE, id=person)
    assert reactivated["userErrors"] == []
    assert reactivated["member"]["status"] == "ACTIVE"
    assert reactivated["member"]["deactivatedAt"] is None
    assert (await _sign_in(signin_http, org, bearer)).status_code == 200
    assert [kind for kind, _ in await _events(pool, org, user_id)] == [
        "member.deactivated",
        "member.reactivated",
    ]


async def test_deactivating_hands_objectives_and_key_results_over(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    leaving = encode_id("User", await member(pool, org, "Max", "MEMBER"))
    taking = encode_id("User", await member(pool, org, "Mia", "MEMBER"))
    objective, key_result = await _objective_with_key_result(gql, leaving)
    payload = await _run(gql, DEACTIVATE, id=leaving, transferOwnershipTo=taking)
    assert payload["userErrors"] == []
    assert (payload["transferredObjectives"], payload["transferredKeyResults"]) == (1, 1)
    owners = await gql.data(
        "query ($o: ID!, $k: ID!) { o: node(id: $o) { ... on Objective { ownerUser { id } } }"
        " k: node(id: $k) { ... on KeyResult { owner { id } } } }",
        {"o": objective, "k": key_result},
    )
    assert owners["o"]["ownerUser"]["id"] == owners["k"]["owner"]["id"] == taking
    history = await pool.fetch(
        "SELECT type, after FROM event WHERE organization_id = $1"
        " AND subject_type IN ('Objective', 'KeyResult') AND type LIKE '%.updated'",
        org["id"],
    )
    assert len(history) == 2


async def test_bad_deactivations_are_refused_and_write_nothing(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    leaving = encode_id("User", await member(pool, org, "Max", "MEMBER"))
    gone = encode_id("User", await member(pool, org, "Gus", "MEMBER"))
    await _run(gql, DEACTIVATE, id=gone)
    await _objective_with_key_result(gql, leaving)
    invitee = (await _invited(gql))["member"]["id"]
    before = await _counts(pool, org)
    cases = [
        ({"id": leaving, "transferOwnershipTo": leaving}, "INVALID", "transferOwnershipTo"),
        ({"id": leaving, "transferOwnershipTo": gone}, "MEMBER_DEACTIVATED", "transferOwnershipTo"),
        ({"id": leaving, "transferOwnershipTo": invitee}, "MEMBER_DEACTIVATED",
         "transferOwnershipTo"),
        ({"id": leaving, "transferOwnershipTo": encode_id("User", 9_000_000_000)}, "NOT_FOUND",
         "transferOwnershipTo"),
        ({"id": invitee}, "INVALID_TRANSITION", "id"),
    ]  # fmt: skip
    for input, code, field in cases:
        payload = await _run(gql, DEACTIVATE, **input)
        assert _codes(payload) == [(code, ["input", field])], input
    assert _codes(await _run(gql, REACTIVATE, id=invitee)) == [
        ("INVALID_TRANSITION", ["input", "id"])
    ]
    assert await _counts(pool, org) == before


async def test_deactivated_and_invited_people_cannot_be_made_owners(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    gone = encode_id("User", await member(pool, org, "Gus", "MEMBER"))
    await _run(gql, DEACTIVATE, id=gone)
    invitee = (await _invited(gql))["member"]["id"]
    for owner in (gone, invitee):
        with pytest.raises(AssertionError, match="NOT_FOUND"):
            await _objective_with_key_result(gql, owner)


# --- reading members and invitations -----------------------------------------------------------


async def test_members_filter_by_role_status_team_and_a_prefix(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    team = await _team(gql, "Product")
    ella = encode_id("User", await member(pool, org, "Ella", "VIEWER"))
    await _run(
        gql,
        "mutation ($input: AddTeamMemberInput!) { addTeamMember(input: $input) { "
        "userErrors { code } } }",
        teamId=team,
        userId=ella,
    )
    await _run(gql, UPDATE, id=ella, name="Ella Öberg")
    gus = encode_id("User", await member(pool, org, "Gus", "MEMBER"))
    await _run(gql, DEACTIVATE, id=gus)
    invitee = await _invited(gql, email=_email("percent%"), name="Pia 100%")

    async def names(filter: dict[str, Any]) -> list[str]:
        data = await gql.data(
            "query ($f: MemberFilter) { members(first: 20, filter: $f) {"
            " totalCount nodes { name } } }",
            {"f": filter},
        )
        found = [n["name"] for n in data["members"]["nodes"]]
        assert data["members"]["totalCount"] == len(found)
        return found

    assert await names({}) == ["Ada Admin", "Ella Öberg", "Gus", "Pia 100%"]
    assert await names({"role": ["VIEWER", "ADMIN"]}) == ["Ada Admin", "Ella Öberg"]
    assert await names({"status": ["DEACTIVATED"]}) == ["Gus"]
    assert await names({"status": ["INVITED"]}) == ["Pia 100%"]
    assert await names({"status": ["ACTIVE"], "role": ["MEMBER"]}) == []
    assert await names({"teamId": team}) == ["Ella Öberg"]
    assert await names({"search": "el"}) == ["Ella Öberg"]
    assert await names({"search": "ÖB"}) == ["Ella Öberg"]  # a later word of the name
    assert await names({"search": "admin+"}) == ["Ada Admin"]  # the email
    assert await names({"search": "100%"}) == ["Pia 100%"]
    assert await names({"search": "%"}) == []  # a wildcard is a plain character
    assert await names({"search": "_"}) == []
    assert invitee["member"]["status"] == "INVITED"
    # a filter of another type is a coded error, as everywhere
    bad = await gql.post(
        "query ($f: MemberFilter) { members(first: 5, filter: $f) { totalCount } }",
        {"f": {"teamId": ella}},
    )
    assert "errors" in bad.json()


async def test_invitations_are_for_admins_only(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    payload = await _invited(gql)
    listed = await gql.data("{ invitations(first: 5) { totalCount nodes { id email status } } }")
    assert listed["invitations"]["totalCount"] == 1
    assert listed["invitations"]["nodes"][0]["id"] == payload["invitation"]["id"]
    await member(pool, org, "Max", "MEMBER")
    response = await signin_http.post(
        "/graphql",
        json={
            "query": "query ($id: ID!) { invitations(first: 5) { totalCount }"
            " node(id: $id) { id } }",
            "variables": {"id": payload["invitation"]["id"]},
        },
        headers={
            "authorization": f"Bearer {_member_token(org, 'max')}",
            "x-organization": org["slug"],
        },
    )
    body = response.json()
    assert body.get("data") is None or not (body["data"].get("invitations") or {}).get("totalCount")


async def test_a_first_sign_in_finds_a_member_by_the_address_their_organisation_gave_them(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    # Changed (by an admin, or the identity provider) before they ever signed in.
    user_id = await member(pool, org, "Max", "MEMBER")
    new_email = _email("max.new")
    changed = await _run(gql, UPDATE, id=encode_id("User", user_id), email=new_email)
    assert changed["userErrors"] == []
    response = await _sign_in(signin_http, org, _token(new_email))
    assert response.status_code == 200, response.text
    assert response.json()["data"]["viewer"]["id"] == encode_id("User", user_id)


async def test_an_address_two_people_are_known_by_signs_nobody_in(
    gql: GraphQLClient, signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    shared = _email("shared")
    first = await member(pool, org, "Max", "MEMBER")
    await _run(gql, UPDATE, id=encode_id("User", first), email=shared)
    slug = f"t-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        other = await conn.fetchval(
            "INSERT INTO organization (name, slug) VALUES ('Other', $1) RETURNING id", slug
        )
        await add_member(conn, other, "Owner", f"owner+{slug}@test.example", "ADMIN")
        second = await add_member(conn, other, "Mo", f"mo+{slug}@test.example", "MEMBER")
    await _run(GraphQLClient(gql.http, slug), UPDATE, id=encode_id("User", second), email=shared)
    response = await _sign_in(signin_http, org, _token(shared))
    assert response.status_code == 401


async def test_every_member_and_invitation_field_reads_alike_both_ways(
    gql: GraphQLClient, pool: Pool, org: Org
) -> None:
    # gql compares the planner's answer with the standard executor's for every query.
    team = await _team(gql)
    await _invited(gql, teamIds=[team], role="VIEWER")
    gone = encode_id("User", await member(pool, org, "Gus", "MEMBER"))
    await _run(gql, DEACTIVATE, id=gone)
    data = await gql.data(
        """{ members(first: 10, filter: {status: [ACTIVE, INVITED, DEACTIVATED]}) {
               totalCount pageInfo { hasNextPage endCursor }
               nodes { id name email role status deactivatedAt externalId version createdAt
                       joinedAt updatedAt teams(first: 5) { nodes { name } } } }
             invitations(first: 10) { totalCount nodes {
               id email role status createdAt sentAt sendCount expiresAt acceptedAt revokedAt
               member { id name status } invitedBy { name } teams { name } } } }"""
    )
    assert data["members"]["totalCount"] == 3
    [invitation] = data["invitations"]["nodes"]
    assert invitation["teams"] == [{"name": "Marketing"}]
    assert invitation["member"]["status"] == "INVITED"
