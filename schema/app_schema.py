"""The strawberry schema: types, descriptions and the SDL committed as schema.graphql."""

from __future__ import annotations

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.check_ins.types import CheckIn
from schema.cycles.types import Cycle
from schema.key_results.types import KeyResult
from schema.mutation import Mutation
from schema.objectives.types import Objective
from schema.organizations.types import Organization
from schema.query import Query
from schema.scalars import SCALAR_MAP
from schema.subscriptions.types import Subscription
from schema.teams.types import Team
from schema.users.types import User


class _Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logs nothing: the errors okrql raises on purpose (coded input errors, refusals) are
        the client's answer, not the operator's news, and anything else is logged once, with
        its request id, where the response masks it (api/executor.py)."""


schema = _Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[CheckIn, Cycle, KeyResult, Objective, Organization, Team, User],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)
