"""Webhook management, for the organisation's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

import strawberry

from db.ids import encode_id
from domain.webhooks import (
    CreateWebhookEndpoint,
    DeleteWebhookEndpoint,
    RedeliverWebhook,
    UpdateWebhookEndpoint,
)
from schema.errors import MANAGES_WEBHOOKS, UserError
from schema.fields import to_one, value
from schema.inputs import change
from schema.mutation_fields import mutation
from schema.payloads import user_errors_field
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint
from services import webhooks as service

if TYPE_CHECKING:
    from schema.context import RequestContext


@strawberry.input(description="A URL to POST events to.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="An https:// URL (http:// only where the server allows it) of a public"
        " host, with no credentials or #fragment; at most 2,000 characters."
    )
    event_types: list[str] = strawberry.field(
        description='The event types to send, e.g. ["check_in.created"]; ["*"] for all.'
    )
    secret: str | None = strawberry.field(
        default=None,
        description="A Standard Webhooks secret (whsec_ + base64 of 24 to 64 bytes) to sign"
        " with; none: okrql generates one and returns it once.",
    )


@strawberry.input(
    description="Changes to a webhook endpoint: fields left out keep their values (none can"
    " be cleared)."
)
class UpdateWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to change.")
    url: str | None = change("A new URL, under the same rules as createWebhookEndpoint's.")
    event_types: list[str] | None = change('New event types to send; ["*"] for all.')
    active: bool | None = change(
        "false pauses the endpoint: events recorded while it is paused are not sent to it"
        " (deliveries already made are still sent); true resumes it."
    )


@strawberry.input(description="A webhook endpoint to delete.")
class DeleteWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to delete.")


@strawberry.input(description="A webhook delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery to send again.")


class CreatedEndpointResult(TypedDict):
    endpoint_id: int
    secret: str | None


class EndpointResult(TypedDict):
    endpoint_id: int


class DeletedEndpointResult(TypedDict):
    deleted_id: str


class DeliveryResult(TypedDict):
    delivery_id: int


@strawberry.type(description="The result of createWebhookEndpoint.")
class CreateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = to_one(
        "webhook_endpoint", "endpoint_id", "The new endpoint."
    )
    secret: str | None = value(
        "secret", "The signing secret okrql generated, shown only now; null if you gave one."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of updateWebhookEndpoint.")
class UpdateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = to_one(
        "webhook_endpoint", "endpoint_id", "The endpoint as changed."
    )
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of deleteWebhookEndpoint.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = value("deleted_id", "The id of the deleted endpoint.")
    user_errors: list[UserError] = user_errors_field()


@strawberry.type(description="The result of redeliverWebhook.")
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = to_one(
        "webhook_delivery", "delivery_id", "The delivery, due again."
    )
    user_errors: list[UserError] = user_errors_field()


async def _create(ctx: RequestContext, command: CreateWebhookEndpoint) -> CreatedEndpointResult:
    policy = ctx.settings.webhook_url_policy
    created = await service.create_endpoint(ctx.conn, ctx.identity, command, policy)
    return {"endpoint_id": created.id, "secret": created.generated_secret}


async def _update(ctx: RequestContext, command: UpdateWebhookEndpoint) -> EndpointResult:
    policy = ctx.settings.webhook_url_policy
    return {"endpoint_id": await service.update_endpoint(ctx.conn, ctx.identity, command, policy)}


async def _delete(ctx: RequestContext, command: DeleteWebhookEndpoint) -> DeletedEndpointResult:
    deleted = await service.delete_endpoint(ctx.conn, ctx.identity, command)
    return {"deleted_id": encode_id("WebhookEndpoint", deleted)}


async def _redeliver(ctx: RequestContext, command: RedeliverWebhook) -> DeliveryResult:
    return {"delivery_id": await service.redeliver(ctx.conn, ctx.identity, command)}


@strawberry.type
class WebhookMutations:
    create_webhook_endpoint = mutation(
        input=CreateWebhookEndpointInput,
        command=CreateWebhookEndpoint,
        call=_create,
        payload=CreateWebhookEndpointPayload,
        result=CreatedEndpointResult,
        permission=MANAGES_WEBHOOKS,
        description="Register a webhook endpoint (admins only); events recorded from now on"
        " of the types it subscribes to are POSTed to it, signed.",
    )
    update_webhook_endpoint = mutation(
        input=UpdateWebhookEndpointInput,
        command=UpdateWebhookEndpoint,
        ids={"id": "WebhookEndpoint"},
        call=_update,
        payload=UpdateWebhookEndpointPayload,
        result=EndpointResult,
        permission=MANAGES_WEBHOOKS,
        description="Change a webhook endpoint's URL or event types, or pause or resume it"
        " (admins only).",
    )
    delete_webhook_endpoint = mutation(
        input=DeleteWebhookEndpointInput,
        command=DeleteWebhookEndpoint,
        ids={"id": "WebhookEndpoint"},
        call=_delete,
        payload=DeleteWebhookEndpointPayload,
        result=DeletedEndpointResult,
        permission=MANAGES_WEBHOOKS,
        description="Delete a webhook endpoint and its deliveries (admins only).",
    )
    redeliver_webhook = mutation(
        input=RedeliverWebhookInput,
        command=RedeliverWebhook,
        ids={"deliveryId": "WebhookDelivery"},
        call=_redeliver,
        payload=RedeliverWebhookPayload,
        result=DeliveryResult,
        permission=MANAGES_WEBHOOKS,
        description="Send a webhook delivery again soon, with a fresh retry budget (admins"
        " only); one being sent right now is left to that attempt.",
    )
