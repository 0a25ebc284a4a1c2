"""The read catalog: every table the API reads, as SQL fragments the planner composes.

Fragments are fixed text written here; request values only ever travel as bind parameters.
In every fragment `t` is the source's own row and `$1` is the request's organisation, which
every statement filters on (tenant isolation does not depend on callers remembering it).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Filter:
    """A predicate with one parameter, written `{}`; `sql_type` is the parameter's type."""

    sql: str
    sql_type: str


@dataclass(frozen=True, slots=True)
class Order:
    """A sort: expressions in one direction, the last one unique, with their cursor types."""

    keys: tuple[tuple[str, str], ...]  # (expression, SQL type for cursor values)
    descending: bool = False


@dataclass(frozen=True, slots=True)
class Counts:
    """Row counts per group, kept by triggers (alembic 0015), that a connection's total sums
    instead of counting its rows when every filter and the parent link (if any) is one of
    the groups' keys: its cost is then the number of groups, not of rows. `filters` and
    `links` say how each filter and each link reads on the counts table (alias `c`)."""

    from_: str
    tenant: str
    count: str
    filters: dict[str, Filter]
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    type_name: str
    from_: str
    tenant: str
    columns: dict[str, str]
    # Joins some columns need; a join is added only when a selected column needs it.
    joins: dict[str, str] = field(default_factory=dict)
    column_joins: dict[str, str] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    # Keys a client may address one row by (`keyResult(externalId:)`): expressions unique in
    # the organisation (a unique index leads with organization_id), compared with one parameter.
    lookups: dict[str, str] = field(default_factory=dict)
    # Administration data (keys, webhooks): readable by admins only, on every path to it.
    admins_only: bool = False
    counts: Counts | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    """Rows of `source` belonging to a parent key; `link` is compared with the key.

    `through` joins a link table; `link` is None for root connections (no parent).
    """

    source: str
    link: str | None
    through: str = ""
    default_order: str = "default"


_ID_ORDER = Order((("t.id", "bigint"),))

ORGANIZATION = Source(
    name="organization",
    type_name="Organization",
    from_="organization t",
    tenant="t.id = $1",
    columns={
        "id": "t.id",
        "name": "t.name",
        "slug": "t.slug",
        "time_zone": "t.time_zone",
        "created_at": "t.created_at",
    },
)

USER = Source(
    name="user",
    type_name="User",
    # People are global; membership makes them visible in (and only in) its organisation, and
    # holds what the organisation knows of them: name, email, role, status (0017).
    from_="app_user t JOIN membership m ON m.user_id = t.id",
    tenant="m.organization_id = $1",
    columns={
        "id": "t.id",
        "name": "m.name",
        "email": "m.email",
        "role": "m.role::text",
        "status": "m.status::text",
        "deactivated_at": "m.deactivated_at",
        "external_id": "m.external_id",
        "version": "m.version",
        # The membership's, not the global person's: when someone's account began elsewhere is
        # not this organisation's to know.
        "created_at": "m.created_at",
        "joined_at": "m.created_at",
        "updated_at": "m.updated_at",
    },
    filters={
        "role": Filter("m.role = ANY({}::member_role[])", "text[]"),
        "status": Filter("m.status = ANY({}::member_status[])", "text[]"),
        "team": Filter(
            "EXISTS (SELECT 1 FROM team_member ftm WHERE ftm.organization_id = m.organization_id"
            " AND ftm.team_id = {} AND ftm.user_id = t.id)",
            "bigint",
        ),
        # A LIKE pattern made by schema/users/types.py (lowercased, escaped, `%` appended): the
        # start of the name, of a later word of it, or of the email.
        "search": Filter(
            "(lower(m.name) LIKE {0} OR lower(m.name) LIKE '% ' || {0} OR lower(m.email) LIKE {0})",
            "text",
        ),
    },
    orders={
        "default": Order((("m.name", "text"), ("t.id", "bigint"))),
        "name": Order((("m.name", "text"), ("t.id", "bigint"))),
    },
)

INVITATION = Source(
    name="invitation",
    admins_only=True,
    type_name="Invitation",
    # Never the token: only its hash is stored, and not even that is read.
    from_="invitation t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        # Only while the invitee is a member: a revoked invitee leaves the organisation, and
        # an id of nobody must not be rendered from the key alone.
        "user_id": "(SELECT m.user_id FROM membership m"
        " WHERE m.organization_id = t.organization_id AND m.user_id = t.user_id)",
        "email": "t.email",
        "role": "t.role::text",
        "team_ids": "t.team_ids",
        "invited_by": "t.invited_by",
        "created_at": "t.created_at",
        "sent_at": "t.sent_at",
        "send_count": "t.send_count",
        "expires_at": "t.expires_at",
        "accepted_at": "t.accepted_at",
        "revoked_at": "t.revoked_at",
    },
    filters={
        # domain/members.py's invitation_status as SQL, so a page filters before it is cut
        # (tests/db/test_invitation_status.py holds the two to the same answers).
        "status": Filter(
            "(CASE WHEN t.accepted_at IS NOT NULL THEN 'ACCEPTED'"
            " WHEN t.revoked_at IS NOT NULL THEN 'REVOKED'"
            " WHEN t.expires_at > now() THEN 'PENDING' ELSE 'EXPIRED' END) = ANY({})",
            "text[]",
        ),
    },
    orders={
        "default": Order((("t.created_at", "timestamptz"), ("t.id", "bigint")), descending=True)
    },
)

TEAM = Source(
    name="team",
    type_name="Team",
    from_="team t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "name": "t.name",
        "description": "t.description",
        "parent_team_id": "t.parent_team_id",
        "version": "t.version",
        "created_at": "t.created_at",
        "updated_at": "t.updated_at",
    },
    orders={"default": Order((("t.name", "text"), ("t.id", "bigint")))},
)

CYCLE = Source(
    name="cycle",
    type_name="Cycle",
    from_="cycle t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "name": "t.name",
        "starts_on": "t.starts_on",
        "ends_on": "t.ends_on",
        "parent_cycle_id": "t.parent_cycle_id",
        "version": "t.version",
        "created_at": "t.created_at",
        "updated_at": "t.updated_at",
    },
    orders={"default": Order((("t.starts_on", "date"), ("t.id", "bigint")))},
)

OBJECTIVE = Source(
    name="objective",
    type_name="Objective",
    from_="objective t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "cycle_id": "t.cycle_id",
        "level": "t.level::text",
        "owner_team_id": "t.owner_team_id",
        "owner_user_id": "t.owner_user_id",
        "title": "t.title",
        "description": "t.description",
        "status": "t.status::text",
        "progress_source": "t.progress_source::text",
        "progress": "t.progress::float8",
        "final_score": "t.final_score::float8",
        "outcome": "t.outcome::text",
        "reflection": "t.reflection",
        "closed_at": "t.closed_at",
        "version": "t.version",
        "created_at": "t.created_at",
        "updated_at": "t.updated_at",
        "cycle_starts_on": "oc.starts_on",
        "cycle_ends_on": "oc.ends_on",
        # The latest check-in across the objective's KRs sets its pace when given.
        "latest_confidence": """(SELECT kr.last_confidence::text FROM key_result kr
            WHERE kr.organization_id = t.organization_id AND kr.objective_id = t.id
              AND kr.last_check_in_id IS NOT NULL
            ORDER BY kr.last_measured_at DESC, kr.last_check_in_id DESC LIMIT 1)""",
    },
    joins={
        "cycle": "JOIN cycle oc ON oc.organization_id = t.organization_id AND oc.id = t.cycle_id"
    },
    column_joins={"cycle_starts_on": "cycle", "cycle_ends_on": "cycle"},
    filters={
        "cycle": Filter("t.cycle_id = {}", "bigint"),
        "team": Filter("t.owner_team_id = {}", "bigint"),
        "owner": Filter("t.owner_user_id = {}", "bigint"),
        "status": Filter("t.status = ANY({}::objective_status[])", "text[]"),
        "level": Filter("t.level = {}::objective_level", "text"),
        "roots_only": Filter(
            "({} IS NOT TRUE OR NOT EXISTS (SELECT 1 FROM alignment ra"
            " WHERE ra.organization_id = t.organization_id AND ra.child_objective_id = t.id))",
            "boolean",
        ),
    },
    orders={
        "default": _ID_ORDER,
        "title": Order((("t.title", "text"), ("t.id", "bigint"))),
        "title_desc": Order((("t.title", "text"), ("t.id", "bigint")), descending=True),
        # NULL progress (nothing to score) sorts as lowest, so keyset comparisons stay total.
        "progress": Order((("coalesce(t.progress, -1)", "numeric"), ("t.id", "bigint"))),
        "progress_desc": Order(
            (("coalesce(t.progress, -1)", "numeric"), ("t.id", "bigint")), descending=True
        ),
        "created": Order((("t.created_at", "timestamptz"), ("t.id", "bigint"))),
        "created_desc": Order(
            (("t.created_at", "timestamptz"), ("t.id", "bigint")), descending=True
        ),
    },
    counts=Counts(
        from_="objective_count c",
        tenant="c.organization_id = $1",
        count="c.n",
        filters={
            "cycle": Filter("c.cycle_id = {}", "bigint"),
            "status": Filter("c.status = ANY({}::objective_status[])", "text[]"),
        },
        links={"t.cycle_id": "c.cycle_id"},
    ),
)

KEY_RESULT = Source(
    name="key_result",
    type_name="KeyResult",
    from_="key_result t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "objective_id": "t.objective_id",
        "owner_user_id": "t.owner_user_id",
        "title": "t.title",
        "description": "t.description",
        "kind": "t.kind::text",
        "result_type": "t.result_type::text",
        "unit": "t.unit::text",
        "currency": "t.currency",
        "unit_label": "t.unit_label",
        # numeric as text, the form the Decimal scalar answers in (db/pool.py): cast here, the
        # server writes it and asyncpg's own text decoding keeps it, without a call of the
        # numeric codec per value (a dashboard has thousands).
        "start_value": "t.start_value::text",
        "target_value": "t.target_value::text",
        "threshold_direction": "t.threshold_direction::text",
        "weight": "t.weight::text",
        "cadence": "t.cadence::text",
        "data_source": "t.data_source",
        "external_id": "t.external_id",
        # Before the first check-in the current value is the start (docs/domain-rules.md);
        # lastCheckIn stays null, which is what says "never measured".
        "current_value": "coalesce(t.current_value, t.start_value)::text",
        "done": "t.done",
        "last_check_in_id": "t.last_check_in_id",
        "last_measured_at": "t.last_measured_at",
        "next_check_in_due": "t.next_check_in_due",
        "version": "t.version",
        "created_at": "t.created_at",
        "updated_at": "t.updated_at",
        "cycle_starts_on": "kc.starts_on",
        "cycle_ends_on": "kc.ends_on",
        # The latest check-in's columns, kept on the key result on write (lastCheckIn).
        "latest_confidence": "t.last_confidence::text",
        "last_done": "CASE WHEN t.kind = 'MILESTONE' THEN t.done END",
        "objective_owner_user_id": "kow.owner_user_id",
        "objective_owner_team_id": "kow.owner_team_id",
    },
    joins={
        "cycle": "JOIN objective ko ON ko.organization_id = t.organization_id"
        " AND ko.id = t.objective_id"
        " JOIN cycle kc ON kc.organization_id = ko.organization_id AND kc.id = ko.cycle_id",
        # Who owns the objective (viewerCanUpdate, viewerCanCheckIn): a primary-key lookup.
        "objective_owner": "JOIN objective kow ON kow.organization_id = t.organization_id"
        " AND kow.id = t.objective_id",
    },
    column_joins={
        "cycle_starts_on": "cycle",
        "cycle_ends_on": "cycle",
        "objective_owner_user_id": "objective_owner",
        "objective_owner_team_id": "objective_owner",
    },
    filters={
        "objective": Filter("t.objective_id = {}", "bigint"),
        "owner": Filter("t.owner_user_id = {}", "bigint"),
        # The due time is maintained on write from the domain's cadence rule.
        "overdue": Filter(
            "(coalesce(t.next_check_in_due < now(), false) AND NOT t.done) = {}", "boolean"
        ),
    },
    # UNIQUE (organization_id, external_id) serves it.
    lookups={"external_id": "t.external_id"},
    orders={"default": Order((("t.position", "integer"), ("t.id", "bigint")))},
)

CHECK_IN = Source(
    name="check_in",
    type_name="CheckIn",
    from_="check_in t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "key_result_id": "t.key_result_id",
        "author_id": "t.author_id",
        "value": "t.value::text",  # numeric as text, as key_result's
        "done": "t.done",
        "confidence": "t.confidence::text",
        "comment": "t.comment",
        "measured_at": "t.measured_at",
        "recorded_at": "t.recorded_at",
    },
    orders={
        "default": Order((("t.measured_at", "timestamptz"), ("t.id", "bigint")), descending=True)
    },
)

API_KEY = Source(
    name="api_key",
    admins_only=True,
    type_name="ApiKey",
    from_="api_key t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "name": "t.name",
        "prefix": "t.prefix",
        # The GraphQL enum's names: read, checkins:write -> READ, CHECKINS_WRITE.
        "scopes": "ARRAY(SELECT upper(replace(s, ':', '_')) FROM unnest(t.scopes) s)",
        "team_ids": "t.team_ids",
        "created_at": "t.created_at",
        "expires_at": "t.expires_at",
        "revoked_at": "t.revoked_at",
        "last_used_at": "t.last_used_at",
    },
    orders={
        "default": Order((("t.created_at", "timestamptz"), ("t.id", "bigint")), descending=True)
    },
)

PERSONAL_ACCESS_TOKEN = Source(
    name="personal_access_token",
    type_name="PersonalAccessToken",
    # Rows of api_key with a member (0018); only ever reached through a relation that names
    # whose tokens they are (the caller's own, or an admin's view of all), never by id.
    from_="api_key t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "user_id": "t.user_id",
        "name": "t.name",
        "prefix": "t.prefix",
        "scopes": "ARRAY(SELECT upper(replace(s, ':', '_')) FROM unnest(t.scopes) s)",
        "created_at": "t.created_at",
        "expires_at": "t.expires_at",
        "revoked_at": "t.revoked_at",
        "last_used_at": "t.last_used_at",
    },
    filters={"owner": Filter("t.user_id = {}", "bigint")},
    orders={
        "default": Order((("t.created_at", "timestamptz"), ("t.id", "bigint")), descending=True)
    },
)

WEBHOOK_ENDPOINT = Source(
    name="webhook_endpoint",
    admins_only=True,
    type_name="WebhookEndpoint",
    # Never the secret: the API role cannot even read that column (migration 0010).
    from_="webhook_endpoint t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "url": "t.url",
        "event_types": "t.event_types",
        "active": "t.active",
        "created_at": "t.created_at",
    },
    orders={
        "default": Order((("t.created_at", "timestamptz"), ("t.id", "bigint")), descending=True)
    },
)

WEBHOOK_DELIVERY = Source(
    name="webhook_delivery",
    admins_only=True,
    type_name="WebhookDelivery",
    from_="webhook_delivery t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "endpoint_id": "t.endpoint_id",
        # api/webhooks/worker.py's message_id: the webhook-id header.
        "message_id": "'evt_' || t.event_id",
        "event_type": """(SELECT wde.type FROM event wde
            WHERE wde.organization_id = t.organization_id AND wde.id = t.event_id)""",
        "status": "t.status::text",
        "attempts": "t.attempts",
        "next_attempt_at": "t.next_attempt_at",
        "last_attempt_at": "t.last_attempt_at",
        "last_status_code": "t.last_status_code",
        "last_error": "t.last_error",
        "delivered_at": "t.delivered_at",
        "created_at": "t.created_at",
    },
    orders={"default": Order((("t.id", "bigint"),), descending=True)},
)

WEBHOOK_DELIVERY_ATTEMPT = Source(
    name="webhook_delivery_attempt",
    admins_only=True,
    type_name="WebhookDeliveryAttempt",
    from_="webhook_delivery_attempt t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "delivery_id": "t.delivery_id",
        "attempt": "t.attempt",
        "started_at": "t.started_at",
        "duration_ms": "t.duration_ms",
        "succeeded": "t.error IS NULL",
        "status_code": "t.status_code",
        "error": "t.error",
        "response_body": "t.response_body",
    },
    # Unique per delivery, the only parent attempts are listed under (migration 0012's
    # UNIQUE (organization_id, delivery_id, attempt) serves it).
    orders={"default": Order((("t.attempt", "integer"),), descending=True)},
)

EVENT = Source(
    name="event",
    type_name="AuditEvent",
    from_="event t",
    tenant="t.organization_id = $1",
    columns={
        "id": "t.id",
        "type": "t.type",
        "subject_type": "t.subject_type",
        "subject_id": "t.subject_id",
        "actor_user_id": "t.actor_user_id",
        "actor_api_key_id": "t.actor_api_key_id",
        "before": "t.before",
        "after": "t.after",
        "occurred_at": "t.occurred_at",
    },
    filters={
        # A node's history: its (type, id) pair as a two-element array; event_subject_idx.
        "subject": Filter(
            "t.subject_type = ({0})[1] AND t.subject_id = (({0})[2])::bigint", "text[]"
        ),
    },
    orders={"default": Order((("t.id", "bigint"),), descending=True)},
)

SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        ORGANIZATION,
        USER,
        INVITATION,
        TEAM,
        CYCLE,
        OBJECTIVE,
        KEY_RESULT,
        CHECK_IN,
        API_KEY,
        PERSONAL_ACCESS_TOKEN,
        WEBHOOK_ENDPOINT,
        WEBHOOK_DELIVERY,
        WEBHOOK_DELIVERY_ATTEMPT,
    )
}
SOURCES[EVENT.name] = EVENT
SOURCE_BY_TYPE: dict[str, Source] = {s.type_name: s for s in SOURCES.values()}

RELATIONS: dict[str, Relation] = {
    # Root connections: every row of the organisation.
    "users": Relation("user", None),
    # The organisation's invitations, for its admins only (like its API keys).
    "invitations": Relation(
        "invitation",
        "ivm.user_id",
        "JOIN membership ivm ON ivm.organization_id = t.organization_id AND ivm.role = 'ADMIN'",
    ),
    "teams": Relation("team", None),
    "cycles": Relation("cycle", None),
    "objectives": Relation("objective", None),
    "key_results": Relation("key_result", None),
    # The change history (audit) of one node, newest first; admins only (schema/audit).
    "audit_events": Relation("event", None),
    # The organisation's API keys, for its admins only: the parent key is the viewer, who
    # must be an admin (an API key, with no viewer, sees none).
    "api_keys": Relation(
        "api_key",
        "akm.user_id",
        "JOIN membership akm ON akm.organization_id = t.organization_id AND akm.role = 'ADMIN'"
        " AND t.user_id IS NULL",
    ),
    # The caller's own personal access tokens (the parent key is the viewer).
    "viewer.personal_access_tokens": Relation("personal_access_token", "t.user_id"),
    # Every member's tokens, for the organisation's admins only.
    "personal_access_tokens": Relation(
        "personal_access_token",
        "patm.user_id",
        "JOIN membership patm ON patm.organization_id = t.organization_id"
        " AND patm.role = 'ADMIN' AND t.user_id IS NOT NULL",
    ),
    # The organisation's webhook endpoints, for its admins only (like its API keys).
    "webhook_endpoints": Relation(
        "webhook_endpoint",
        "whm.user_id",
        "JOIN membership whm ON whm.organization_id = t.organization_id AND whm.role = 'ADMIN'",
    ),
    "webhook_endpoint.deliveries": Relation("webhook_delivery", "t.endpoint_id"),
    "webhook_delivery.attempts": Relation("webhook_delivery_attempt", "t.delivery_id"),
    # Children of a parent key.
    "user.teams": Relation(
        "team",
        "tm.user_id",
        "JOIN team_member tm ON tm.organization_id = t.organization_id AND tm.team_id = t.id",
    ),
    "user.objectives": Relation("objective", "t.owner_user_id"),
    "team.members": Relation(
        "user",
        "tm.team_id",
        "JOIN team_member tm ON tm.organization_id = m.organization_id AND tm.user_id = t.id",
    ),
    "team.child_teams": Relation("team", "t.parent_team_id"),
    "team.objectives": Relation("objective", "t.owner_team_id"),
    "cycle.child_cycles": Relation("cycle", "t.parent_cycle_id"),
    "cycle.objectives": Relation("objective", "t.cycle_id"),
    "objective.key_results": Relation("key_result", "t.objective_id"),
    "objective.parents": Relation(
        "objective",
        "al.child_objective_id",
        "JOIN alignment al ON al.organization_id = t.organization_id"
        " AND al.parent_objective_id = t.id",
    ),
    "objective.children": Relation(
        "objective",
        "al.parent_objective_id",
        "JOIN alignment al ON al.organization_id = t.organization_id"
        " AND al.child_objective_id = t.id",
    ),
    "objective.check_ins": Relation(
        "check_in",
        "cik.objective_id",
        "JOIN key_result cik ON cik.organization_id = t.organization_id"
        " AND cik.id = t.key_result_id",
    ),
    "key_result.check_ins": Relation("check_in", "t.key_result_id"),
}
