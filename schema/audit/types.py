"""Audit events: one per change, with its actor and the state before and after."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from db.ids import decode_id, encode_id
from db.planner.mapping import ReadContext, Row
from domain.permissions import may_read_audit
from schema.api_keys.types import ApiKey
from schema.fields import column, derived, to_one
from schema.scalars import DateTime
from schema.users.types import User


def _id(row: Row, ctx: ReadContext) -> str:
    return encode_id("AuditEvent", row["id"])


def _subject_id(row: Row, ctx: ReadContext) -> str:
    return encode_id(row["subject_type"], row["subject_id"])


@strawberry.type(
    description="One change of the organisation's data, recorded in the change's own"
    " transaction: what changed, who changed it, and its state before and after."
)
class AuditEvent:
    id: strawberry.ID = derived(_id, ("id",), "The event's opaque id.")
    type: str = column(
        "type", "What happened, e.g. objective.updated, check_in.created, team.member_added."
    )
    subject_id: strawberry.ID = derived(
        _subject_id,
        ("subject_type", "subject_id"),
        "The global id of the node that changed.",
    )
    actor: User | None = to_one(
        "user",
        "actor_user_id",
        "The person who made the change (also through their personal access token); null for"
        " an organisation's API key and for derived changes such as objective.progress_changed.",
    )
    actor_api_key: ApiKey | None = to_one(
        "api_key", "actor_api_key_id", "The integration's API key that made the change, if any."
    )
    before: JSON | None = column(
        "before",
        "The subject's state before the change, in the API's field names, each reference to"
        " another node as its global id (`objectiveId`, `teamIds`, ...); null on creation and"
        " for objective.progress_changed (which records only the new progress).",
    )
    after: JSON | None = column(
        "after",
        "The subject's state after the change, in the API's field names, each reference to"
        " another node as its global id; null on deletion.",
    )
    occurred_at: DateTime = column("occurred_at", "When the change was committed.")


def subject_filter(raw: Any) -> list[str]:
    """`auditEvents(subjectId:)` as the event filter's (subject type, subject id) pair."""
    type_name, pk = decode_id(raw)
    return [type_name, str(pk)]


def refuse_audit(ctx: ReadContext) -> str | None:
    """Why the caller may not read the audit history; None for admins."""
    if may_read_audit(ctx.actor):
        return None
    return "Only an admin of the organisation may read the audit history."
