"""The root Mutation type: each field runs one use case in one transaction."""

from __future__ import annotations

import strawberry

from db.planner.mapping import Mutation as MutationMapping
from schema import oracle
from schema.check_ins.mutations import (
    CreateCheckInInput,
    CreateCheckInPayload,
    run_create_check_in,
)
from schema.fields import mapped


@strawberry.type(description="Changing OKR data; bad input comes back as userErrors.")
class Mutation:
    @strawberry.mutation(
        description="Record a key result's value (or a milestone's done flag).",
        metadata=mapped(MutationMapping(run_create_check_in)),
    )
    async def create_check_in(
        self, info: strawberry.Info, input: CreateCheckInInput
    ) -> CreateCheckInPayload:
        return await oracle.resolve_mutation(info)  # type: ignore[no-any-return]
