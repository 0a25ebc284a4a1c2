"""SCIM provisioning through the HTTP app: the sequence an identity provider sends, filters and
paging, ETags, authentication."""

from __future__ import annotations

import uuid
from typing import Any, TypeAlias

import asyncpg
import httpx

from tests.scim import GROUP, Scim, error_of, user
from tests.signin import api_key, member, signin_http, token_for

__all__ = ["signin_http"]

Org: TypeAlias = dict[str, Any]
Pool: TypeAlias = "asyncpg.Pool[Any]"


def _email(tag: str) -> str:
    return f"{tag}.{uuid.uuid4().hex[:8]}@people.example"


async def _viewer(http: httpx.AsyncClient, org: Org, email: str) -> httpx.Response:
    return await http.post(
        "/graphql",
        json={"query": "{ viewer { name email } }"},
        headers={"authorization": f"Bearer {token_for(email)}", "x-organization": org["slug"]},
    )


async def _events(pool: Pool, org: Org, since: int) -> list[str]:
    rows = await pool.fetch(
        "SELECT type FROM event WHERE organization_id = $1 AND id > $2 ORDER BY id",
        org["id"],
        since,
    )
    return [r["type"] for r in rows]


async def test_the_provisioning_sequence_of_an_identity_provider(
    signin_http: httpx.AsyncClient, pool: Pool, org: Org
) -> None:
    scim = await Scim.of(signin_http, pool, org)
    since = await pool.fetchval("SELECT coalesce(max(id), 0) FROM event") or 0
    email = _email("ada")
    # when the identity provider creates a user
    created = await scim(
        "POST",
        "/Users",
        user(
            email,
            name={"givenName": "Ada", "familyName": "Lovelace"},
            externalId="idp-ada",
            active=True,
        ),
    )
    # then she is an active member at once (no invitation), and may sign in
    assert created.status_code == 201, created.text
    ada = created.json()
    assert created.headers["content-type"].startswith("application/scim+json")
    assert created.headers["location"] == ada["meta"]["location"]
    assert created.headers["etag"] == ada["meta"]["version"]
    assert ada["meta"]["location"] == f"http://okrql.test/scim/v2/Users/{ada['id']}"
    assert (ada["userName"], ada["active"], ada["externalId"]) == (email, True, "idp-ada")
    assert ada["name"] == {"givenName": "Ada", "familyName": "Lovelace"}
    viewer = await _viewer(signin_http, org, email)
    assert viewer.json()["data"]["viewer"] == {"name": "Ada Lovelace", "email": email}
    # when it creates a group and adds her
    group = (await scim("POST", "/Groups", {"schemas": [GROUP], "displayName": "Marketing"})).json()
    added = await scim.patch(
        f"/Groups/{group['id']}", {"op": "add", "path": "members", "value": [{"value": ada["id"]}]}
    )
    assert [m["value"] for m in added.json()["members"]] == [ada["id"]]
    # when it changes her email (as Entra ID does: userName and the work email)
    new_email = _email("ada.king")
    changed = await scim.patch(
        f"/Users/{ada['id']}",
        {"op": "replace", "path": "userName", "value": new_email},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": new_email},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["emails"] == [{"value": new_email, "type": "work", "primary": True}]
    stored = await pool.fetchval(
        "SELECT email FROM membership WHERE organization_id = $1 AND email = $2",
        org["id"],
        new_email,
    )
    assert stored == new_email
    # when it sets her inactive, her token is refused with her next request
    inactive = await scim.patch(
        f"/Users/{ada['id']}", {"op": "replace", "value": {"active": False}}
    )
    assert inactive.json()["active"] is False
    refused = await _viewer(signin_http, org, email)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["extensions"]["code"] == "MEMBER_DEACTIVATED"
    # when it reactivates her (Entra ID sends the boolean as a string), she is back
    active = await scim.patch(
        f"/Users/{ada['id']}", {"op": "Replace", "path": "active", "value": "True"}
    )
    assert active.json()["active"] is True
    assert (await _viewer(signin_http, org, email)).status_code == 200
    # when it removes her from the group
    removed = await scim.patch(
        f"/Groups/{group['id']}", {"op": "remove", "path": f'members[value eq "{ada["id"]}"]'}
    )
    assert "members" not in removed.json()
    # when it deletes her: 204, then 404 and gone from lists; okrql keeps her, deactivated
    assert (await scim("DELETE", f"/Users/{ada['id']}")).status_code == 204
    error_of(await scim("GET", f"/Users/{ada['id']}"), 404)
    listed = await scim("GET", f'/Users?filter=userName eq "{new_email}"')
    assert listed.json()["totalResults"] == 0
    status = await pool.fetchval(
        "SELECT status::text FROM membership WHERE organization_id = $1 AND email = $2",
        org["id"],
        new_email,
    )
    assert status == "DEACTIVATED"
    assert (await _viewer(signin_http, org, email)).status_code == 403
    # and every change was an event, in order
    assert await _events(pool, org, since) == [
        "member.provisioned",
        "team.created",
        "team.member_added",
        "member.updated",
        "member.deactivated",
        "member.reactivated",
        "team.member_removed",
        "member.deactivated",
        "member.deprovisioned",
    ]
    # when the identity provider provisions her again, she comes back under the same id
    again = await scim("POST", "/Users", user(new_email, externalId="idp-ada"))
    assert again.status_code == 201, again.text
    assert (again.json()["id"], again.json()["active"]) == (ada["id"], True)


async def test_filters_and_paging(signin_http: httpx.AsyncClient, pool: Pool, org: Org) -> None:
    scim = await Scim.of(signin_http, pool, org)
    tag = uuid.uuid4().hex[:6]
    people = [
        user(f"bo.{tag}@a.example", name={"givenName": "Bo"}, externalId="x1"),
        user(f"cy.{tag}@a.example", name={"givenName": "Cy"}, active=False),
        user(
            f"di.{tag}",
            f"di.{tag}@b.example",
            name={"givenName": "Di", "familyName": "Smith"},
            roles=[{"value": "viewer"}],
        ),
    ]
    ids = []
    for body in people:
        response = await scim("POST", "/Users", body)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])

    async def found(expression: str) -> list[str]:
        response = await scim.http.get(
            "/scim/v2/Users",
            params={"filter": expression},
            headers={"authorization": f"Bearer {scim.secret}"},
        )
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["Resources"]]

    assert await found(f'userName eq "BO.{tag}@A.EXAMPLE"') == ids[:1]
    assert await found(f'userName sw "di.{tag}"') == ids[2:]
    assert await found(f'userName co "{tag}" and active eq false') == ids[1:2]
    assert await found(f'emails.value ew "{tag}@b.example"') == ids[2:]
    assert await found(f'emails[type eq "work" and value co "cy.{tag}"]') == ids[1:2]
    assert await found(f'emails co "{tag}" and not (userName sw "bo")') == ids[1:]
    assert await found('externalId eq "x1"') == ids[:1]
    assert await found('externalId eq "X1"') == []  # caseExact
    assert await found(f'(name.givenName eq "Bo" or name.familyName eq "smith") and userName co "{tag}"') == [ids[0], ids[2]]  # fmt: skip
    assert await found(f'name.familyName pr and userName co "{tag}"') == ids[2:]
    assert await found(f'id eq "{ids[1]}"') == ids[1:2]
    # paging: 1-based startIndex, count, totalResults over the whole match
    page = await scim.http.get(
        "/scim/v2/Users",
        params={"filter": f'userName co "{tag}"', "startIndex": "2", "count": "1"},
        headers={"authorization": f"Bearer {scim.secret}"},
    )
    body = page.json()
    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 2, 1)
    assert [r["id"] for r in body["Resources"]] == ids[1:2]
    # attributes: only what was asked (and id)
    only = await scim("GET", f"/Users/{ids[2]}?attributes=userName,name.givenName")
    assert only.json() == {
        "id": ids[2],
        "userName": f"di.{tag}",
        "name": {"givenName": "Di"},
        "schemas": only.json()["schemas"],
    }
    # roles read back as the identity provider sent them; okrql applies the role
    assert (await scim("GET", f"/Users/{ids[2]}")).json()["roles"] == [{"value": "viewer"}]
    role = await pool.fetchval(
        "SELECT role::text FROM membership WHERE organization_id = $1 AND user_name = $2",
        org["id"],
        f"di.{tag}",
    )
    assert role == "VIEWER"
    # /.search takes the same in a body
    searched = await scim(
        "POST",
        "/Users/.search",
        {"filter": f'userName co "{tag}"', "count": 2, "excludedAttributes": "emails"},
    )
    assert searched.json()["totalResults"] == 3
    assert all("emails" not in r for r in searched.json()["Resources"])


async def test_if_match_guards_writes(signin_http: httpx.AsyncClient, pool: Pool, org: Org) -> None:
    scim = await Scim.of(signin_http, pool, org)
    created = (await scim("POST", "/Users", user(_email("eve")))).json()
    version = created["meta"]["version"]
    changed = await scim.patch(
        f"/Users/{created['id']}",
        {"op": "replace", "path": "displayName", "value": "Eve"},
        if_match=version,
    )
    assert changed.status_code == 200
    assert changed.headers["etag"] != version
    stale = await scim.patch(
        f"/Users/{created['id']}",
        {"op": "replace", "path": "displayName", "value": "Eva"},
        if_match=version,
    )
    assert "changed since" in error_of(stale, 412)
    assert (await scim("GET", f"/Users/{created['id']}")).json()["displayName"] == "Eve"


async def test_who_may_use_scim(signin_http: httpx.AsyncClient, pool: Pool, org: Org) -> None:
    # no credentials, or bad ones: 401 in SCIM's form
    anonymous = await signin_http.get("/scim/v2/Users")
    error_of(anonymous, 401)
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    bad = await signin_http.get("/scim/v2/Users", headers={"authorization": "Bearer okrql_nope"})
    error_of(bad, 401)
    # a person (even an admin), and a key without the scim scope: 403
    await member(pool, org, "Root", "ADMIN")
    root = token_for(f"root+{org['slug']}@test.example")
    admin = await signin_http.get(
        "/scim/v2/Users",
        headers={"authorization": f"Bearer {root}", "x-organization": org["slug"]},
    )
    assert "scim scope" in error_of(admin, 403)
    read = await api_key(pool, org, "read", "write")
    error_of(
        await signin_http.get("/scim/v2/Users", headers={"authorization": f"Bearer {read.secret}"}),
        403,
    )
    # discovery answers the SCIM key
    scim = await Scim.of(signin_http, pool, org)
    config = (await scim("GET", "/ServiceProviderConfig")).json()
    assert (config["patch"]["supported"], config["etag"]["supported"]) == (True, True)
    assert config["bulk"]["supported"] is False
