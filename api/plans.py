"""Plans you can see (README "Plans you can see"): who may ask for a request's plan, and how.

A request asks with the GraphQL-over-HTTP `extensions` member: `{"plan": true}` for the plan
and its statements, `{"plan": {"explain": true}}` for PostgreSQL's EXPLAIN of each statement
too (with ANALYZE for a query; a mutation's statements are only planned, never run twice).
The answer carries it in `extensions.plan`.

Only people with the ADMIN role, and only in development: the statements show parameter
values and the schema's tables. Anyone else asking gets the answer they would get without
asking, with no hint that plans exist.
"""

from __future__ import annotations

from typing import Any

from graphql import OperationType

from api.settings import Settings
from db.planner.trace import PlanTrace
from services.identity import Identity

EXTENSION = "plan"


def trace_for(
    extensions: Any, settings: Settings, identity: Identity, operation: OperationType
) -> PlanTrace | None:
    """A trace to record the request's plan into, when it asks and may; else None."""
    if not isinstance(extensions, dict):
        return None
    asked = extensions.get(EXTENSION)
    if asked is not True and not isinstance(asked, dict):
        return None
    # A key never administers, whatever its scopes: a personal access token acts as its
    # person, an administrator perhaps, and still sees no plan (Identity.is_admin says so).
    if settings.is_production or not identity.is_admin:
        return None
    explain = isinstance(asked, dict) and asked.get("explain") is True
    return PlanTrace(explain=explain, analyze=explain and operation is OperationType.QUERY)
