"""The root Mutation type, composed from each aggregate's mutations.

Every field runs one use case in one transaction and returns a payload whose entities the
planner renders by id after the commit; broken rules come back as `userErrors`.
"""

from __future__ import annotations

import strawberry

from schema.api_keys.mutations import ApiKeyMutations
from schema.api_keys.personal_tokens import PersonalAccessTokenMutations
from schema.check_ins.mutations import CheckInMutations
from schema.cycles.mutations import CycleMutations
from schema.key_results.mutations import KeyResultMutations
from schema.members.mutations import MemberMutations
from schema.objectives.alignment_mutations import AlignmentMutations
from schema.objectives.mutations import ObjectiveMutations
from schema.teams.mutations import TeamMutations
from schema.webhooks.mutations import WebhookMutations


@strawberry.type(description="Changing OKR data; bad input comes back as userErrors.")
class Mutation(
    CheckInMutations,
    CycleMutations,
    ObjectiveMutations,
    TeamMutations,
    KeyResultMutations,
    AlignmentMutations,
    MemberMutations,
    ApiKeyMutations,
    PersonalAccessTokenMutations,
    WebhookMutations,
):
    pass
