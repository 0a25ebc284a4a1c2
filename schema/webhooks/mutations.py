"""Webhook management, for the organisation's admins."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import strawberry

from db.planner.mapping import Mutation
from domain.errors import DomainError, Problem, raise_problems
from domain.permissions import may_administer
from schema import oracle
from schema.errors import UserError, authorized, input_id, user_errors
from schema.fields import embedded, mapped, to_one, value
from schema.webhooks.types import WebhookDelivery, WebhookEndpoint
from services import webhooks as service

if TYPE_CHECKING:
    from schema.context import RequestContext

ADMINS_ONLY_WEBHOOKS = service.ADMINS_ONLY


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
    # UNSET defaults keep these optional without a default in the schema, so a field the
    # client leaves out is absent from the arguments, while an explicit null is present.
    url: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="A new URL, under the same rules as createWebhookEndpoint's.",
    )
    event_types: list[str] | None = strawberry.field(
        default=strawberry.UNSET, description='New event types to send; ["*"] for all.'
    )
    active: bool | None = strawberry.field(
        default=strawberry.UNSET,
        description="false pauses the endpoint: events recorded while it is paused are not"
        " sent to it (deliveries already made are still sent); true resumes it.",
    )


@strawberry.input(description="A webhook endpoint to delete.")
class DeleteWebhookEndpointInput:
    id: strawberry.ID = strawberry.field(description="The endpoint to delete.")


@strawberry.input(description="A webhook delivery to send again.")
class RedeliverWebhookInput:
    delivery_id: strawberry.ID = strawberry.field(description="The delivery to send again.")


@strawberry.type(description="The result of createWebhookEndpoint.")
class CreateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = to_one(
        "webhook_endpoint", "endpoint_id", "The new endpoint."
    )
    secret: str | None = value(
        "secret", "The signing secret okrql generated, shown only now; null if you gave one."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of updateWebhookEndpoint.")
class UpdateWebhookEndpointPayload:
    webhook_endpoint: WebhookEndpoint | None = to_one(
        "webhook_endpoint", "endpoint_id", "The endpoint as changed."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of deleteWebhookEndpoint.")
class DeleteWebhookEndpointPayload:
    deleted_id: strawberry.ID | None = value("deletedId", "The id of the deleted endpoint.")
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@strawberry.type(description="The result of redeliverWebhook.")
class RedeliverWebhookPayload:
    delivery: WebhookDelivery | None = to_one(
        "webhook_delivery", "delivery_id", "The delivery, due again."
    )
    user_errors: list[UserError] = embedded("userErrors", "Why nothing was written, if so.")


@authorized(may_administer, ADMINS_ONLY_WEBHOOKS)
async def run_create_webhook_endpoint(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """createWebhookEndpoint: validate, store; a generated secret is in this payload only."""
    data = dict(args["input"])
    try:
        created = await service.create_endpoint(
            ctx.conn,
            ctx.identity,
            url=data["url"],
            event_types=data["eventTypes"],
            secret=data.get("secret"),
            policy=ctx.settings.webhook_url_policy,
        )
    except DomainError as error:
        return {"endpoint_id": None, "secret": None, "userErrors": user_errors(error)}
    return {"endpoint_id": created.id, "secret": created.generated_secret, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_WEBHOOKS)
async def run_update_webhook_endpoint(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """updateWebhookEndpoint: the fields given, validated like createWebhookEndpoint's."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        endpoint_id = input_id(data, "id", "WebhookEndpoint", problems)
        raise_problems(problems)
        assert endpoint_id is not None
        await service.update_endpoint(
            ctx.conn, ctx.identity, endpoint_id, data, ctx.settings.webhook_url_policy
        )
    except DomainError as error:
        return {"endpoint_id": None, "userErrors": user_errors(error)}
    return {"endpoint_id": endpoint_id, "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_WEBHOOKS)
async def run_delete_webhook_endpoint(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """deleteWebhookEndpoint: the endpoint and its deliveries; nothing more is sent to it."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        endpoint_id = input_id(data, "id", "WebhookEndpoint", problems)
        raise_problems(problems)
        assert endpoint_id is not None
        await service.delete_endpoint(ctx.conn, ctx.identity, endpoint_id)
    except DomainError as error:
        return {"deletedId": None, "userErrors": user_errors(error)}
    return {"deletedId": data["id"], "userErrors": []}


@authorized(may_administer, ADMINS_ONLY_WEBHOOKS)
async def run_redeliver_webhook(ctx: RequestContext, args: dict[str, Any]) -> dict[str, Any]:
    """redeliverWebhook: due now, with a fresh retry budget."""
    data = dict(args["input"])
    try:
        problems: list[Problem] = []
        delivery_id = input_id(data, "deliveryId", "WebhookDelivery", problems)
        raise_problems(problems)
        assert delivery_id is not None
        await service.redeliver(ctx.conn, ctx.identity, delivery_id)
    except DomainError as error:
        return {"delivery_id": None, "userErrors": user_errors(error)}
    return {"delivery_id": delivery_id, "userErrors": []}


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(
        description="Register a webhook endpoint (admins only); events recorded from now on"
        " of the types it subscribes to are POSTed to it, signed.",
        metadata=mapped(Mutation(run_create_webhook_endpoint)),
    )
    async def create_webhook_endpoint(
        self, info: strawberry.Info, input: CreateWebhookEndpointInput
    ) -> CreateWebhookEndpointPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Change a webhook endpoint's URL or event types, or pause or resume it"
        " (admins only).",
        metadata=mapped(Mutation(run_update_webhook_endpoint)),
    )
    async def update_webhook_endpoint(
        self, info: strawberry.Info, input: UpdateWebhookEndpointInput
    ) -> UpdateWebhookEndpointPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Delete a webhook endpoint and its deliveries (admins only).",
        metadata=mapped(Mutation(run_delete_webhook_endpoint)),
    )
    async def delete_webhook_endpoint(
        self, info: strawberry.Info, input: DeleteWebhookEndpointInput
    ) -> DeleteWebhookEndpointPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]

    @strawberry.mutation(
        description="Send a webhook delivery again soon, with a fresh retry budget (admins"
        " only); one being sent right now is left to that attempt.",
        metadata=mapped(Mutation(run_redeliver_webhook)),
    )
    async def redeliver_webhook(
        self, info: strawberry.Info, input: RedeliverWebhookInput
    ) -> RedeliverWebhookPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
