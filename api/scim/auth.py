"""Who may use SCIM: an organisation's API key with the `scim` scope, sent as
`Authorization: Bearer <key>`. No development fallback and no person tokens: an identity
provider provisions as the organisation, not as someone in it."""

from __future__ import annotations

from starlette.requests import Request

from api.identity import IdentityError, credentials_in_url, resolve_identity
from domain.permissions import may_provision
from domain.scim.errors import ScimError
from services.identity import Identity


async def scim_identity(request: Request) -> Identity:
    if credentials_in_url(request):
        raise ScimError(
            400, "Credentials are not accepted in the URL: send `Authorization: Bearer <key>`."
        )
    if not request.headers.get("authorization"):
        raise ScimError(
            401, "Authentication is required: send `Authorization: Bearer <SCIM API key>`."
        )
    try:
        identity = await resolve_identity(request)
    except IdentityError as error:
        raise ScimError(error.status, str(error)) from None
    if not may_provision(identity.actor):
        raise ScimError(
            403,
            "SCIM needs an API key with the scim scope (okrql key create --scopes scim, or"
            " createApiKey with scopes [SCIM]); person tokens and other keys are refused.",
        )
    return identity
