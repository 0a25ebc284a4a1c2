"""Who a request acts as: authentication.

`Authorization: Bearer <credential>` carries either
- an API key (`okrql_…`): an integration, acting in the organisation that owns the key, with
  the key's scopes; or a member's personal access token (the same form), acting as that
  member within its scopes, while they are active; or
- a JWT from the configured issuer (api/auth/tokens.py): a person, matched to their user by
  the token's issuer and subject (linked on first sign-in by verified email), acting in the
  organisation chosen by the `X-Organization` header or the token's `org` claim, with their
  role there.

Bad credentials of any kind are a 401. An organisation the caller does not belong to is a 403
that reads exactly like one for an organisation that does not exist.

Only when no Authorization header is sent, and only in development, does a request act as the
admin of the demo organisation (or of the one named by `X-Organization`: the tests work this
way). Production has no fallback. Credentials never travel in the URL: a request that tries
is refused (400) before anything else.
"""

from __future__ import annotations

from starlette.requests import Request

from api.auth.tokens import ConfigurationError, TokenError, TokenVerifier
from api.settings import Settings
from db import api_keys
from db.identities import sign_in
from db.identity import organization_admin
from domain.api_keys import hash_secret, looks_like_key
from domain.members import MemberStatus, hash_invitation_token, looks_like_invitation_token
from domain.permissions import may_use_graphql
from services.identity import Identity

ORGANIZATION_HEADER = "x-organization"
# A sign-in that accepts an invitation by its token, for setups whose identity provider does
# not vouch for the invited email.
INVITATION_HEADER = "x-invitation-token"
# Query parameters that carry credentials in other APIs; okrql refuses them.
URL_CREDENTIAL_PARAMETERS = frozenset(
    {"api_key", "apikey", "api-key", "key", "token", "access_token", "jwt", "authorization"}
)
_NO_VERIFIER = object()


class IdentityError(Exception):
    """The request has no identity okrql accepts: a GraphQL error with `code`, at `status`."""

    def __init__(self, message: str, code: str = "UNAUTHENTICATED", status: int = 401) -> None:
        super().__init__(message)
        self.code = code
        self.status = status

    @property
    def headers(self) -> dict[str, str]:
        return {"www-authenticate": 'Bearer realm="okrql"'} if self.status == 401 else {}


def _forbidden_organization(slug: str) -> IdentityError:
    # The same words whether the organisation exists or not.
    return IdentityError(
        f"No organisation {slug!r} is available to these credentials.", "FORBIDDEN", 403
    )


def credentials_in_url(request: Request) -> bool:
    """Whether the URL carries something that looks like a credential."""
    if not request.scope.get("query_string"):
        return False  # most requests (every POST of a client): nothing to parse
    return any(
        name.lower() in URL_CREDENTIAL_PARAMETERS or looks_like_key(value)
        for name, value in request.query_params.multi_items()
    )


def _verifier(request: Request) -> TokenVerifier | None:
    state = request.app.state
    verifier = getattr(state, "token_verifier", _NO_VERIFIER)
    if verifier is _NO_VERIFIER:
        try:
            verifier = TokenVerifier.from_settings(state.settings)
        except ConfigurationError:
            # `okrql serve` refuses to start with such settings; an app built otherwise
            # (tests, embedding) cannot verify tokens with them.
            verifier = None
        state.token_verifier = verifier
    assert verifier is None or isinstance(verifier, TokenVerifier)
    return verifier


def _bearer(request: Request) -> str | None:
    """The credential of the Authorization header; None when there is no header."""
    values = request.headers.getlist("authorization")
    if not values:
        return None
    if len(values) > 1:
        raise IdentityError("Send one Authorization header.")
    scheme, _, credential = values[0].strip().partition(" ")
    credential = credential.strip()
    if scheme.lower() != "bearer" or not credential or any(c.isspace() for c in credential):
        raise IdentityError("Malformed Authorization header: expected `Bearer <token or key>`.")
    return credential


async def resolve_identity(request: Request) -> Identity:
    settings: Settings = request.app.state.settings
    credential = _bearer(request)
    if credential is None:
        if settings.is_production:
            raise IdentityError(
                "Authentication is required: send `Authorization: Bearer <token or API key>`."
            )
        return await _development_identity(request, settings)
    if looks_like_key(credential):
        return await _api_key_identity(request, credential)
    return await _token_identity(request, credential)


async def resolve_graphql_identity(request: Request) -> Identity:
    """The caller of /graphql (and its WebSocket): any identity but a SCIM-only key."""
    identity = await resolve_identity(request)
    if not may_use_graphql(identity.actor):
        raise IdentityError(
            "This API key may only provision people over SCIM (/scim/v2): give an integration"
            " a key with the read, write or checkins:write scope.",
            "FORBIDDEN",
            403,
        )
    return identity


async def _api_key_identity(request: Request, secret: str) -> Identity:
    key = await api_keys.authenticate(request.app.state.pool, hash_secret(secret))
    if key is None:
        raise IdentityError("The API key is unknown, revoked or expired.")
    chosen = request.headers.get(ORGANIZATION_HEADER)
    if chosen is not None and chosen != key.slug:
        raise _forbidden_organization(chosen)
    # A personal access token acts as its (active) member, with their role and teams.
    return Identity(
        organization_id=key.organization_id,
        user_id=key.user_id,
        time_zone=key.time_zone,
        role=key.role,
        organization_slug=key.slug,
        api_key_id=key.api_key_id,
        scopes=frozenset(key.scopes),
        team_ids=key.team_ids,
        member_team_ids=key.member_team_ids,
    )


_INVITATION_STATES = {
    "INVITATION_EXPIRED": "The invitation has expired: ask an admin to send it again.",
    "INVITATION_REVOKED": "The invitation was revoked.",
    "INVITATION_ACCEPTED": "The invitation was already accepted, by another sign-in.",
    "INVITATION_UNKNOWN": "No invitation has this token.",
    "INVITATION_FOR_ANOTHER_PERSON": "The invitation is for someone else: sign in as the"
    " person it was sent to, or ask an admin to invite this account.",
}


def _invitation_hash(request: Request) -> bytes | None:
    token = request.headers.get(INVITATION_HEADER)
    if token is None:
        return None
    token = token.strip()
    if not looks_like_invitation_token(token):
        raise IdentityError(
            "Malformed X-Invitation-Token: send the token inviteMember returned.",
            "BAD_REQUEST",
            400,
        )
    return hash_invitation_token(token)


async def _token_identity(request: Request, token: str) -> Identity:
    verifier = _verifier(request)
    if verifier is None:
        raise IdentityError("Sign-in with tokens is not configured on this server.")
    try:
        verified = verifier.verify(token)
    except TokenError as error:
        raise IdentityError(str(error)) from None
    chosen = request.headers.get(ORGANIZATION_HEADER) or verified.organization
    person = await sign_in(
        request.app.state.pool,
        verified.issuer,
        verified.subject,
        verified.verified_email,
        chosen,
        _invitation_hash(request),
    )
    if person is None:
        raise IdentityError(
            "No okrql user matches this token: a first sign-in needs the verified email of a"
            " member."
        )
    if not person.memberships and person.invitation in _INVITATION_STATES:
        raise IdentityError(_INVITATION_STATES[person.invitation], person.invitation, 403)
    if chosen is not None:
        if not person.memberships:
            raise _forbidden_organization(chosen)
        membership = person.memberships[0]
    elif len(person.memberships) == 1 or (
        # Active memberships come first: a second one that is not active leaves one choice.
        len(person.memberships) == 2 and person.memberships[1].status != MemberStatus.ACTIVE
    ):
        membership = person.memberships[0]
    elif not person.memberships:
        raise IdentityError("You are not a member of any organisation.", "FORBIDDEN", 403)
    else:
        raise IdentityError(
            "Choose an organisation: send `X-Organization: <slug>` or an `org` claim.",
            "BAD_REQUEST",
            400,
        )
    if membership.status == MemberStatus.DEACTIVATED:
        raise IdentityError(
            f"Your membership of {membership.organization_slug!r} is deactivated: ask one of"
            " its admins to reactivate it.",
            "MEMBER_DEACTIVATED",
            403,
        )
    if membership.status == MemberStatus.INVITED:
        raise IdentityError(
            f"Your invitation to {membership.organization_slug!r} has expired or was sent to"
            " another address: ask one of its admins to send it again.",
            "INVITATION_EXPIRED",
            403,
        )
    assert person.user_id is not None
    return Identity(
        organization_id=membership.organization_id,
        user_id=person.user_id,
        time_zone=membership.time_zone,
        role=membership.role,
        organization_slug=membership.organization_slug,
        member_team_ids=membership.team_ids,
    )


async def _development_identity(request: Request, settings: Settings) -> Identity:
    slug = request.headers.get(ORGANIZATION_HEADER) or settings.demo_organization
    cache: dict[str, Identity] = request.app.state.identities
    identity = cache.get(slug)
    if identity is None:
        admin = await organization_admin(request.app.state.pool, slug)
        if admin is None:
            raise IdentityError(
                f"No organisation {slug!r}: run `okrql seed demo` or send X-Organization."
            )
        identity = Identity(
            organization_id=admin.organization_id,
            user_id=admin.user_id,
            time_zone=admin.time_zone,
            role=admin.role or "ADMIN",
            organization_slug=slug,
        )
        cache[slug] = identity
    return identity
