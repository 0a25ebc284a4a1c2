"""Who a request acts as.

Until authentication lands, a development server acts as the admin of the demo organisation
(or of the organisation named by the `X-Organization` header, which the tests use to work in
organisations of their own). A production server refuses every request instead: there is no
fallback identity outside development.
"""

from __future__ import annotations

from starlette.requests import Request

from api.context import Identity
from api.settings import Settings
from db.identity import organization_admin

ORGANIZATION_HEADER = "x-organization"


class IdentityError(Exception):
    """The request has no identity okrql accepts."""


async def resolve_identity(request: Request) -> Identity:
    settings: Settings = request.app.state.settings
    if settings.is_production:
        raise IdentityError("Authentication is required.")
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
        )
        cache[slug] = identity
    return identity
