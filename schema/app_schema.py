"""The strawberry schema: types, descriptions and the SDL committed as schema.graphql."""

from __future__ import annotations

import strawberry
from strawberry.schema.config import StrawberryConfig

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

schema = strawberry.Schema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,
    types=[CheckIn, Cycle, KeyResult, Objective, Organization, Team, User],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)
