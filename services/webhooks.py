"""Registering webhook endpoints and redelivering webhooks (admins only)."""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from typing import Any

from db import webhooks as db
from db.progress import Connection
from db.tenancy import tenant_transaction
from domain.errors import DomainError, UserErrorCode
from domain.permissions import may_administer, require
from domain.webhooks import (
    SECRET_PREFIX,
    CreateWebhookEndpoint,
    DeleteWebhookEndpoint,
    RedeliverWebhook,
    UpdateWebhookEndpoint,
    UrlPolicy,
    validate_endpoint,
    validate_endpoint_changes,
)
from services.audit import log_change
from services.identity import Identity

ADMINS_ONLY = "Only an admin of the organisation may manage webhooks."


@dataclass(frozen=True, slots=True)
class CreatedEndpoint:
    id: int
    # The secret okrql generated, shown once; None when the caller chose it.
    generated_secret: str | None


def new_secret() -> str:
    """A Standard Webhooks secret: whsec_ + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


async def create_endpoint(
    conn: Connection, identity: Identity, command: CreateWebhookEndpoint, policy: UrlPolicy
) -> CreatedEndpoint:
    """Register an endpoint; the events recorded from now on that it subscribes to are sent."""
    require(may_administer(identity.actor), ADMINS_ONLY)
    endpoint = validate_endpoint(command.url, command.event_types, command.secret, policy)
    chosen = endpoint.secret or new_secret()
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        endpoint_id = await db.create_endpoint(
            conn,
            organization_id,
            url=endpoint.url,
            event_types=endpoint.event_types,
            secret=chosen,
            created_by=identity.user_id,
        )
        await log_change(
            conn,
            identity,
            type="webhook_endpoint.created",
            subject_type="WebhookEndpoint",
            subject_id=endpoint_id,
            before=None,
            # Never the secret: events are the audit history and are themselves delivered.
            after={"url": endpoint.url, "eventTypes": list(endpoint.event_types)},
        )
    return CreatedEndpoint(endpoint_id, None if endpoint.secret else chosen)


async def update_endpoint(
    conn: Connection, identity: Identity, command: UpdateWebhookEndpoint, policy: UrlPolicy
) -> int:
    """Change an endpoint's URL, event types or whether it is active (the fields the command
    gives); a paused endpoint gets no deliveries of new events. Its id."""
    require(may_administer(identity.actor), ADMINS_ONLY)
    update = validate_endpoint_changes(command, policy)
    endpoint_id = command.id
    organization_id = identity.organization_id
    async with tenant_transaction(conn, organization_id):
        changed = await db.update_endpoint(
            conn,
            organization_id,
            endpoint_id,
            url=update.url,
            event_types=update.event_types,
            active=update.active,
        )
        if changed is None:
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such endpoint.")
        before, after = changed
        await log_change(
            conn,
            identity,
            type="webhook_endpoint.updated",
            subject_type="WebhookEndpoint",
            subject_id=endpoint_id,
            before=_audited(before),
            after=_audited(after),
        )
    return endpoint_id


def _audited(endpoint: db.EndpointState) -> dict[str, Any]:
    return {
        "url": endpoint.url,
        "eventTypes": list(endpoint.event_types),
        "active": endpoint.active,
    }


async def delete_endpoint(
    conn: Connection, identity: Identity, command: DeleteWebhookEndpoint
) -> int:
    """Delete an endpoint with its deliveries: nothing more is sent to it. Its id."""
    require(may_administer(identity.actor), ADMINS_ONLY)
    organization_id = identity.organization_id
    endpoint_id = command.id
    async with tenant_transaction(conn, organization_id):
        if not await db.delete_endpoint(conn, organization_id, endpoint_id):
            raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "id"), "No such endpoint.")
        await log_change(
            conn,
            identity,
            type="webhook_endpoint.deleted",
            subject_type="WebhookEndpoint",
            subject_id=endpoint_id,
            before=None,
            after=None,
        )
    return endpoint_id


async def redeliver(conn: Connection, identity: Identity, command: RedeliverWebhook) -> int:
    """Send a delivery again soon, with a fresh retry budget (one being sent right now is left
    to that attempt). Its id."""
    require(may_administer(identity.actor), ADMINS_ONLY)
    async with tenant_transaction(conn, identity.organization_id):
        found = await db.redeliver(conn, identity.organization_id, command.delivery_id)
    if found is None:
        raise DomainError.of(UserErrorCode.NOT_FOUND, ("input", "deliveryId"), "No such delivery.")
    return command.delivery_id
