"""The root Query type."""

from __future__ import annotations

import strawberry

from db.ids import decode_id_of
from db.planner.mapping import FilterArg, Lookup, Many, NodeById, ToOne
from schema import oracle
from schema.api_keys.types import ApiKey, PersonalAccessToken
from schema.audit.types import AuditEvent, refuse_audit, subject_filter
from schema.check_ins.types import CheckIn
from schema.connections import Connection
from schema.cycles.types import Cycle
from schema.fields import mapped
from schema.inputs import stored_text
from schema.key_results.types import KEY_RESULTS, KeyResult, KeyResultFilter
from schema.members.types import INVITATIONS, Invitation, InvitationFilter
from schema.node import Node
from schema.objectives.types import OBJECTIVES, Objective, ObjectiveFilter, ObjectiveOrder
from schema.organizations.types import Organization
from schema.teams.types import Team
from schema.users.types import MEMBERS, MemberFilter, User
from schema.webhooks.types import WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint

# The root row the planner renders the Query type from (see api/graphql_http.py).
VIEWER_KEY = "__viewer_id"
ORGANIZATION_KEY = "__organization_id"
ROOT_KEY = "__root"

_TYPES = (
    ApiKey,
    CheckIn,
    Cycle,
    Invitation,
    KeyResult,
    Objective,
    Organization,
    Team,
    User,
    WebhookDelivery,
    WebhookDeliveryAttempt,
    WebhookEndpoint,
)


@strawberry.type(description="Reading OKR data of the request's organisation.")
class Query:
    @strawberry.field(
        description="The person making the request (a personal access token's person); null for"
        " an organisation's API key.",
        metadata=mapped(ToOne("user", VIEWER_KEY)),
    )
    async def viewer(self, info: strawberry.Info) -> User | None:
        return await oracle.resolve_to_one(self, info)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The organisation the request acts in.",
        metadata=mapped(ToOne("organization", ORGANIZATION_KEY)),
    )
    async def organization(self, info: strawberry.Info) -> Organization:
        return await oracle.resolve_to_one(self, info)  # type: ignore[no-any-return]

    @strawberry.field(
        description="Any object by its global id; null when there is none (or not visible to the"
        " caller). Administration objects (API keys, invitations, webhook endpoints, their"
        " deliveries and attempts) are for admins: anyone else gets FORBIDDEN.",
        metadata=mapped(NodeById(many=False)),
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> Node | None:
        return (await oracle.resolve_nodes(info, [id]))[0]  # type: ignore[no-any-return]

    @strawberry.field(
        description="Objects by global ids, in the order given; null where there is none. As for"
        " `node`, administration objects are for admins: anyone else gets FORBIDDEN.",
        metadata=mapped(NodeById(many=True)),
    )
    async def nodes(self, info: strawberry.Info, ids: list[strawberry.ID]) -> list[Node | None]:
        return await oracle.resolve_nodes(info, ids)

    @strawberry.field(
        description="The organisation's cycles, by start date.",
        metadata=mapped(Many("cycles", parent_key=ROOT_KEY)),
    )
    async def cycles(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Cycle]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="The organisation's teams, by name.",
        metadata=mapped(Many("teams", parent_key=ROOT_KEY)),
    )
    async def teams(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[Team]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="The organisation's people, by name: every member, invited, active or"
        " deactivated.",
        deprecation_reason="Use members: the same people, with filters.",
        metadata=mapped(Many("users", parent_key=ROOT_KEY)),
    )
    async def users(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[User]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="The organisation's members, by name, filtered by role, status, team or a"
        " name-or-email prefix.",
        metadata=mapped(MEMBERS),
    )
    async def members(
        self,
        info: strawberry.Info,
        first: int,
        after: str | None = None,
        filter: MemberFilter | None = None,
    ) -> Connection[User]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, first=first, after=after, filter=filter
        )

    @strawberry.field(
        description="The organisation's invitations, newest first. Admins only: anyone else"
        " gets FORBIDDEN.",
        metadata=mapped(INVITATIONS),
    )
    async def invitations(
        self,
        info: strawberry.Info,
        first: int,
        after: str | None = None,
        filter: InvitationFilter | None = None,
    ) -> Connection[Invitation]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, first=first, after=after, filter=filter
        )

    @strawberry.field(
        description="Objectives, filtered and sorted (oldest first by default).",
        metadata=mapped(OBJECTIVES),
    )
    async def objectives(
        self,
        info: strawberry.Info,
        first: int,
        after: str | None = None,
        filter: ObjectiveFilter | None = None,
        order_by: ObjectiveOrder | None = None,
    ) -> Connection[Objective]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, first=first, after=after, filter=filter, order_by=order_by
        )

    @strawberry.field(
        description="Key results, filtered (e.g. to those overdue for a check-in).",
        metadata=mapped(KEY_RESULTS),
    )
    async def key_results(
        self,
        info: strawberry.Info,
        first: int,
        after: str | None = None,
        filter: KeyResultFilter | None = None,
    ) -> Connection[KeyResult]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, first=first, after=after, filter=filter
        )

    @strawberry.field(
        description="The key result an integration knows by its own key (the key result's"
        " `externalId`); null when the organisation has none with it.",
        metadata=mapped(Lookup("key_result", "external_id", "externalId", stored_text)),
    )
    async def key_result(self, info: strawberry.Info, external_id: str) -> KeyResult | None:
        return await oracle.resolve_lookup(info)  # type: ignore[no-any-return]

    @strawberry.field(
        description="The organisation's API keys, newest first. Admins only: anyone else gets"
        " FORBIDDEN.",
        metadata=mapped(Many("api_keys", parent_key=VIEWER_KEY)),
    )
    async def api_keys(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[ApiKey]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="The caller's own personal access tokens, newest first (revoked ones too);"
        " empty for an organisation's API key.",
        metadata=mapped(Many("viewer.personal_access_tokens", parent_key=VIEWER_KEY)),
    )
    async def personal_access_tokens(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[PersonalAccessToken]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="Every member's personal access tokens, newest first, optionally one"
        " member's; visible to the organisation's admins only (empty for anyone else).",
        metadata=mapped(
            Many(
                "personal_access_tokens",
                parent_key=VIEWER_KEY,
                arguments={"ownerId": FilterArg("owner", lambda v: decode_id_of(v, "User"))},
            )
        ),
    )
    async def all_personal_access_tokens(
        self,
        info: strawberry.Info,
        first: int,
        after: str | None = None,
        owner_id: strawberry.ID | None = None,
    ) -> Connection[PersonalAccessToken]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, first=first, after=after, owner_id=owner_id
        )

    @strawberry.field(
        description="The organisation's webhook endpoints, newest first. Admins only: anyone"
        " else gets FORBIDDEN.",
        metadata=mapped(Many("webhook_endpoints", parent_key=VIEWER_KEY)),
    )
    async def webhook_endpoints(
        self, info: strawberry.Info, first: int, after: str | None = None
    ) -> Connection[WebhookEndpoint]:
        return await oracle.resolve_connection(self, info, first=first, after=after)  # type: ignore[return-value]

    @strawberry.field(
        description="The change history of any node (objective, key result, check-in, cycle,"
        " team, API key), newest first: each change's type, actor (a person or an API key) and"
        " state before and after. Admins only: anyone else gets FORBIDDEN.",
        metadata=mapped(
            Many(
                "audit_events",
                parent_key=ROOT_KEY,
                arguments={"subjectId": FilterArg("subject", subject_filter)},
                refuse=refuse_audit,
            )
        ),
    )
    async def audit_events(
        self,
        info: strawberry.Info,
        subject_id: strawberry.ID,
        first: int,
        after: str | None = None,
    ) -> Connection[AuditEvent]:
        return await oracle.resolve_connection(  # type: ignore[return-value]
            self, info, subject_id=subject_id, first=first, after=after
        )
