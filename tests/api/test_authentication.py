"""Authentication through the real endpoint: JWTs, API keys, and every way to get them wrong."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from api.app import create_app
from api.settings import Settings
from db.organizations import add_member, create_organization
from db.tenancy import tenant_transaction
from services.api_keys import issue_key, revoke_key

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
ISSUER = "https://id.test.example/"
AUDIENCE = "okrql-test"
RESPONSE_TYPE = "application/graphql-response+json"
WHO = "{ viewer { email role } organization { slug } }"


def _settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": "development",
        "jwt_secret": SECRET,
        "jwt_issuer": ISSUER,
        "jwt_audience": AUDIENCE,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="module")
async def auth_http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app configured for HS256 sign-in (the session's app has no JWT settings)."""
    app = create_app(_settings(), url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
            yield c


@pytest.fixture(scope="module")
async def production_http(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(_settings(environment="production"), url=database_url)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://okrql.test") as c:
            yield c


def token(
    *,
    sub: str | None = None,
    email: str | None = None,
    verified: bool = True,
    org: str | None = None,
    secret: str = SECRET,
    issuer: str = ISSUER,
    audience: str = AUDIENCE,
    expires_in: int = 600,
) -> str:
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub or f"sub-{uuid.uuid4().hex}",
        "iat": now,
        "exp": now + dt.timedelta(seconds=expires_in),
    }
    if email is not None:
        claims["email"] = email
        claims["email_verified"] = verified
    if org is not None:
        claims["org"] = org
    return jwt.encode(claims, secret, algorithm="HS256")


async def post(
    client: httpx.AsyncClient,
    authorization: str | None = None,
    organization: str | None = None,
    query: str = WHO,
    **kwargs: Any,
) -> httpx.Response:
    headers = {"accept": RESPONSE_TYPE}
    if authorization is not None:
        headers["authorization"] = authorization
    if organization is not None:
        headers["x-organization"] = organization
    return await client.post("/graphql", json={"query": query}, headers=headers, **kwargs)


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert response.headers["www-authenticate"].startswith("Bearer")


async def _organization(pool: asyncpg.Pool[Any], name: str = "Auth AB") -> dict[str, Any]:
    slug = f"a-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn, conn.transaction():
        organization_id = await create_organization(conn, name, slug, "Europe/Amsterdam")
    return {"id": organization_id, "slug": slug}


async def _member(pool: asyncpg.Pool[Any], org: dict[str, Any], email: str, role: str) -> int:
    async with pool.acquire() as conn, conn.transaction():
        return await add_member(conn, org["id"], email.split("@")[0], email, role)


async def _key(pool: asyncpg.Pool[Any], org: dict[str, Any], **kwargs: Any) -> Any:
    kwargs.setdefault("name", "CRM sync")
    kwargs.setdefault("scopes", ["read", "checkins:write"])
    async with pool.acquire() as conn, tenant_transaction(conn, org["id"]):
        return await issue_key(conn, org["id"], **kwargs)


# -- bad credentials: 401 ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "bearer a b", "Token abc", "Bearer\tokrql_x"],
)
async def test_a_malformed_authorization_header_is_refused(
    auth_http: httpx.AsyncClient, header: str
) -> None:
    assert_unauthenticated(await post(auth_http, header))


async def test_a_bearer_that_is_no_jwt_is_refused(auth_http: httpx.AsyncClient) -> None:
    assert_unauthenticated(await post(auth_http, "Bearer not.a.jwt"))
    assert_unauthenticated(await post(auth_http, "Bearer abc"))


async def test_an_expired_token_is_refused(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    email = f"exp+{org['slug']}@t.example"
    await _member(pool, org, email, "MEMBER")
    response = await post(auth_http, f"Bearer {token(email=email, expires_in=-3600)}")
    assert_unauthenticated(response)
    assert "expired" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    "bad",
    [
        {"secret": "another-secret-that-is-long-enough-for-hs256"},
        {"issuer": "https://evil.example/"},
        {"audience": "someone-else"},
    ],
    ids=["wrong-signature", "wrong-issuer", "wrong-audience"],
)
async def test_a_token_not_meant_for_okrql_is_refused(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], bad: dict[str, str]
) -> None:
    org = await _organization(pool)
    email = f"bad+{org['slug']}@t.example"
    await _member(pool, org, email, "MEMBER")
    assert_unauthenticated(await post(auth_http, f"Bearer {token(email=email, **bad)}"))


async def test_an_unsigned_token_is_refused(auth_http: httpx.AsyncClient) -> None:
    unsigned = jwt.encode(
        {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": 4102444800}, None, algorithm="none"
    )
    assert_unauthenticated(await post(auth_http, f"Bearer {unsigned}"))


async def test_a_token_of_a_stranger_is_refused(auth_http: httpx.AsyncClient) -> None:
    # A valid token, but nobody okrql knows (no member has that email).
    assert_unauthenticated(
        await post(auth_http, f"Bearer {token(email=f'{uuid.uuid4().hex}@t.example')}")
    )


async def test_an_unknown_api_key_is_refused(auth_http: httpx.AsyncClient) -> None:
    assert_unauthenticated(await post(auth_http, "Bearer okrql_" + "x" * 43))


async def test_a_revoked_api_key_is_refused(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    key = await _key(pool, org)
    assert (await post(auth_http, f"Bearer {key.secret}")).status_code == 200
    async with pool.acquire() as conn, tenant_transaction(conn, org["id"]):
        assert await revoke_key(conn, org["id"], key.id, actor_user_id=None)
    assert_unauthenticated(await post(auth_http, f"Bearer {key.secret}"))


async def test_an_expired_api_key_is_refused(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    key = await _key(pool, org, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    assert (await post(auth_http, f"Bearer {key.secret}")).status_code == 200
    await pool.execute(
        "UPDATE api_key SET expires_at = now() - interval '1 second' WHERE id = $1", key.id
    )
    assert_unauthenticated(await post(auth_http, f"Bearer {key.secret}"))


@pytest.mark.parametrize("parameter", ["api_key", "access_token", "token"])
async def test_credentials_in_the_url_are_refused(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any], parameter: str
) -> None:
    org = await _organization(pool)
    key = await _key(pool, org)
    for response in (
        await auth_http.get("/graphql", params={"query": WHO, parameter: key.secret}),
        await auth_http.post(f"/graphql?{parameter}={key.secret}", json={"query": WHO}),
    ):
        assert response.status_code == 400
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "data" not in response.json()


async def test_token_sign_in_is_not_available_without_settings(
    http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    # The session's app has no JWT settings: a token cannot be verified, so it is refused.
    org = await _organization(pool)
    email = f"nojwt+{org['slug']}@t.example"
    await _member(pool, org, email, "ADMIN")
    assert_unauthenticated(await post(http, f"Bearer {token(email=email)}", org["slug"]))


# -- people signing in with tokens ------------------------------------------------------------


async def test_first_sign_in_links_the_member_with_the_verified_email(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    # given a member who never signed in
    org = await _organization(pool)
    email = f"Ebba+{org['slug']}@t.example"
    user_id = await _member(pool, org, email, "MEMBER")
    subject = f"idp|{uuid.uuid4().hex}"
    # when they sign in with a token vouching for their email (in another case)
    response = await post(auth_http, f"Bearer {token(sub=subject, email=email.upper())}")
    # then they act as themselves, in their organisation, with their role
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "viewer": {"email": email, "role": "MEMBER"},
        "organization": {"slug": org["slug"]},
    }
    linked = await pool.fetchrow(
        "SELECT user_id FROM user_identity WHERE issuer = $1 AND subject = $2", ISSUER, subject
    )
    assert linked is not None
    assert linked["user_id"] == user_id
    # and later tokens need only the subject
    again = await post(auth_http, f"Bearer {token(sub=subject)}")
    assert again.json()["data"]["viewer"]["email"] == email


async def test_an_unverified_email_links_nobody(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    email = f"unverified+{org['slug']}@t.example"
    await _member(pool, org, email, "ADMIN")
    assert_unauthenticated(await post(auth_http, f"Bearer {token(email=email, verified=False)}"))
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM user_identity i JOIN app_user u ON u.id = i.user_id"
            " WHERE u.email = $1",
            email,
        )
        == 0
    )


async def test_another_subject_of_the_same_issuer_cannot_take_over_a_linked_person(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    email = f"linked+{org['slug']}@t.example"
    await _member(pool, org, email, "ADMIN")
    assert (await post(auth_http, f"Bearer {token(email=email)}")).status_code == 200
    assert_unauthenticated(await post(auth_http, f"Bearer {token(email=email)}"))


async def test_a_member_of_two_organisations_chooses_one_per_request(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    # given a person who is an admin of one organisation and a viewer of another
    first, second = await _organization(pool, "First AB"), await _organization(pool, "Second BV")
    email = f"both+{first['slug']}@t.example"
    await _member(pool, first, email, "ADMIN")
    await _member(pool, second, email, "VIEWER")
    subject = f"idp|{uuid.uuid4().hex}"
    bearer = f"Bearer {token(sub=subject, email=email)}"
    # when they name neither, they are asked to choose
    unchosen = await post(auth_http, bearer)
    assert unchosen.status_code == 400
    assert unchosen.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    # when they choose by header, they act there with their role there
    in_first = await post(auth_http, bearer, first["slug"])
    in_second = await post(auth_http, bearer, second["slug"])
    assert in_first.json()["data"] == {
        "viewer": {"email": email, "role": "ADMIN"},
        "organization": {"slug": first["slug"]},
    }
    assert in_second.json()["data"] == {
        "viewer": {"email": email, "role": "VIEWER"},
        "organization": {"slug": second["slug"]},
    }
    # and by the token's org claim (the header wins when both are sent)
    by_claim = f"Bearer {token(sub=subject, org=second['slug'])}"
    assert (await post(auth_http, by_claim)).json()["data"]["organization"] == {
        "slug": second["slug"]
    }
    assert (await post(auth_http, by_claim, first["slug"])).json()["data"]["organization"] == {
        "slug": first["slug"]
    }


async def test_an_organisation_of_others_looks_like_one_that_does_not_exist(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    mine, theirs = await _organization(pool), await _organization(pool)
    email = f"mine+{mine['slug']}@t.example"
    await _member(pool, mine, email, "ADMIN")
    bearer = f"Bearer {token(email=email)}"
    assert (await post(auth_http, bearer)).status_code == 200  # the sole membership
    missing = "z-" + uuid.uuid4().hex[:12]
    others = await post(auth_http, bearer, theirs["slug"])
    nowhere = await post(auth_http, bearer, missing)
    assert others.status_code == nowhere.status_code == 403
    assert others.json() == {
        "errors": [
            {
                "message": nowhere.json()["errors"][0]["message"].replace(missing, theirs["slug"]),
                "extensions": {"code": "FORBIDDEN"},
            }
        ]
    }


# -- integrations with API keys ---------------------------------------------------------------


async def test_an_api_key_acts_in_its_organisation_only(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    # given two organisations with a cycle each, and a key of the first
    first, second = await _organization(pool), await _organization(pool)
    for org, name in ((first, "Q1 first"), (second, "Q1 second")):
        await pool.execute(
            "INSERT INTO cycle (organization_id, name, starts_on, ends_on)"
            " VALUES ($1, $2, '2026-01-01', '2026-03-31')",
            org["id"],
            name,
        )
    key = await _key(pool, first)
    bearer = f"Bearer {key.secret}"
    # when it reads, it sees its organisation's data, as nobody in particular
    response = await post(
        auth_http,
        bearer,
        query="{ viewer { id } organization { slug } cycles(first: 10) { nodes { name } } }",
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {
        "viewer": None,
        "organization": {"slug": first["slug"]},
        "cycles": {"nodes": [{"name": "Q1 first"}]},
    }
    # and naming another organisation is refused like any unknown one
    elsewhere = await post(auth_http, bearer, second["slug"])
    assert elsewhere.status_code == 403
    assert elsewhere.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert (await post(auth_http, bearer, first["slug"])).status_code == 200


async def test_an_api_key_records_its_last_use_at_most_once_a_minute(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    key = await _key(pool, org)
    last_used = "SELECT last_used_at FROM api_key WHERE id = $1"
    assert await pool.fetchval(last_used, key.id) is None
    assert (await post(auth_http, f"Bearer {key.secret}")).status_code == 200
    first_use = await pool.fetchval(last_used, key.id)
    assert first_use is not None
    # a request moments later writes nothing
    assert (await post(auth_http, f"Bearer {key.secret}")).status_code == 200
    assert await pool.fetchval(last_used, key.id) == first_use
    # a request over a minute later moves it
    await pool.execute(
        "UPDATE api_key SET last_used_at = last_used_at - interval '2 minutes' WHERE id = $1",
        key.id,
    )
    assert (await post(auth_http, f"Bearer {key.secret}")).status_code == 200
    assert await pool.fetchval(last_used, key.id) > first_use - dt.timedelta(minutes=2)


async def test_keys_are_stored_only_as_a_hash(pool: asyncpg.Pool[Any]) -> None:
    org = await _organization(pool)
    key = await _key(pool, org, scopes=["checkins:write", "read", "read"])
    row = await pool.fetchrow("SELECT * FROM api_key WHERE id = $1", key.id)
    assert key.secret.startswith("okrql_")
    assert len(key.secret) >= 6 + 43
    assert key.secret.startswith(row["prefix"])
    assert len(row["prefix"]) < 20
    assert key.secret.encode() not in b"".join(str(v).encode() for v in row.values())
    assert row["scopes"] == ["read", "checkins:write"]


# -- development fallback and production ------------------------------------------------------


async def test_production_has_no_fallback(
    production_http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    assert_unauthenticated(await post(production_http, None, org["slug"]))


async def test_production_accepts_tokens(
    production_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    email = f"prod+{org['slug']}@t.example"
    await _member(pool, org, email, "ADMIN")
    response = await post(production_http, f"Bearer {token(email=email)}")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["organization"]["slug"] == org["slug"]


async def test_development_falls_back_only_without_an_authorization_header(
    auth_http: httpx.AsyncClient, org: dict[str, Any]
) -> None:
    fallback = await post(auth_http, None, org["slug"])
    assert fallback.json()["data"]["viewer"]["role"] == "ADMIN"
    assert_unauthenticated(await post(auth_http, "Bearer nonsense", org["slug"]))


def test_production_without_jwt_settings_refuses_to_start() -> None:
    # The real command, in a process of its own: one clear line, a non-zero exit, and no
    # attempt to reach the database first.
    env = {k: v for k, v in os.environ.items() if not k.startswith("OKRQL_JWT_")}
    env |= {"OKRQL_ENVIRONMENT": "production", "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    assert "refusing to start" in lines[0]
    assert "OKRQL_JWT_ISSUER" in lines[0]


# -- key management over GraphQL (admins only) ------------------------------------------------

CREATE_KEY = """mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) {
  secret apiKey { id name prefix scopes createdAt expiresAt revokedAt lastUsedAt }
  userErrors { field code } } }"""
REVOKE_KEY = """mutation($id: ID!) { revokeApiKey(input: {id: $id}) {
  apiKey { id revokedAt } userErrors { field code } } }"""
LIST_KEYS = "{ apiKeys(first: 10) { totalCount nodes { name prefix scopes revokedAt } } }"


async def test_an_admin_creates_lists_and_revokes_keys(
    auth_http: httpx.AsyncClient, gql: Any, org: dict[str, Any]
) -> None:
    # when an admin creates a key
    created = await gql(
        CREATE_KEY, {"input": {"name": " Mailer ", "scopes": ["CHECKINS_WRITE", "READ"]}}
    )
    payload = created["data"]["createApiKey"]
    assert payload["userErrors"] == []
    secret, key = payload["secret"], payload["apiKey"]
    assert secret.startswith(key["prefix"])
    assert (key["name"], key["scopes"], key["revokedAt"]) == (
        "Mailer",
        ["READ", "CHECKINS_WRITE"],
        None,
    )
    # then the key works, acting in the organisation
    used = await post(auth_http, f"Bearer {secret}", query="{ organization { slug } }")
    assert used.json()["data"] == {"organization": {"slug": org["slug"]}}
    # and admins see it listed (without its secret), also by id
    listed = await gql.data(LIST_KEYS)
    assert listed["apiKeys"] == {
        "totalCount": 1,
        "nodes": [
            {
                "name": "Mailer",
                "prefix": key["prefix"],
                "scopes": ["READ", "CHECKINS_WRITE"],
                "revokedAt": None,
            }
        ],
    }
    node = await gql.data(
        "query($id: ID!) { node(id: $id) { ... on ApiKey { name } } }", {"id": key["id"]}
    )
    assert node == {"node": {"name": "Mailer"}}
    # when it is revoked, it stops working at once
    revoked = (await gql(REVOKE_KEY, {"id": key["id"]}))["data"]["revokeApiKey"]
    assert revoked["userErrors"] == []
    assert revoked["apiKey"]["revokedAt"] is not None
    assert_unauthenticated(await post(auth_http, f"Bearer {secret}"))


async def test_a_scim_key_is_refused_on_graphql(
    auth_http: httpx.AsyncClient, gql: Any, org: dict[str, Any]
) -> None:
    # given an admin creates a key for the identity provider, and one that also reads
    scim = (await gql(CREATE_KEY, {"input": {"name": "IdP", "scopes": ["SCIM"]}}))["data"]
    both = (await gql(CREATE_KEY, {"input": {"name": "Both", "scopes": ["SCIM", "READ"]}}))["data"]
    assert scim["createApiKey"]["apiKey"]["scopes"] == ["SCIM"]
    # when the SCIM-only key asks /graphql anything
    refused = await post(auth_http, f"Bearer {scim['createApiKey']['secret']}")
    # then it is forbidden: that key provisions people over SCIM and nothing else
    assert refused.status_code == 403
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert "/scim/v2" in error["message"]
    # while a key that also has another scope reads as that scope allows
    used = await post(
        auth_http, f"Bearer {both['createApiKey']['secret']}", query="{ organization { slug } }"
    )
    assert used.json()["data"] == {"organization": {"slug": org["slug"]}}


async def test_key_input_problems_are_user_errors(gql: Any) -> None:
    blank = await gql(CREATE_KEY, {"input": {"name": "  ", "scopes": ["READ"]}})
    assert blank["data"]["createApiKey"]["userErrors"] == [
        {"field": ["input", "name"], "code": "REQUIRED"}
    ]
    none = await gql(CREATE_KEY, {"input": {"name": "x", "scopes": []}})
    assert none["data"]["createApiKey"]["userErrors"] == [
        {"field": ["input", "scopes"], "code": "REQUIRED"}
    ]
    past = await gql(
        CREATE_KEY,
        {"input": {"name": "x", "scopes": ["READ"], "expiresAt": "2020-01-01T00:00:00Z"}},
    )
    assert past["data"]["createApiKey"]["userErrors"] == [
        {"field": ["input", "expiresAt"], "code": "OUT_OF_RANGE"}
    ]
    missing = await gql(REVOKE_KEY, {"id": "QXBpS2V5Ojk5OTk5OTk5"})  # ApiKey:99999999
    assert missing["data"]["revokeApiKey"]["userErrors"] == [
        {"field": ["input", "id"], "code": "NOT_FOUND"}
    ]
    assert (await gql.data(LIST_KEYS))["apiKeys"]["totalCount"] == 0


async def test_only_admins_manage_keys(
    auth_http: httpx.AsyncClient, pool: asyncpg.Pool[Any]
) -> None:
    org = await _organization(pool)
    email = f"member+{org['slug']}@t.example"
    await _member(pool, org, email, "MEMBER")
    existing = await _key(pool, org)
    member = f"Bearer {token(email=email)}"
    integration = f"Bearer {existing.secret}"
    for bearer in (member, integration):
        refused = await auth_http.post(
            "/graphql",
            json={"query": CREATE_KEY, "variables": {"input": {"name": "x", "scopes": ["READ"]}}},
            headers={"authorization": bearer, "accept": RESPONSE_TYPE},
        )
        assert refused.status_code == 200
        assert refused.json()["data"] is None
        assert [e["extensions"]["code"] for e in refused.json()["errors"]] == ["FORBIDDEN"]
        listed = await post(auth_http, bearer, query=LIST_KEYS)
        assert [e["extensions"]["code"] for e in listed.json()["errors"]] == ["FORBIDDEN"]
    assert (
        await pool.fetchval("SELECT count(*) FROM api_key WHERE organization_id = $1", org["id"])
        == 1
    )
