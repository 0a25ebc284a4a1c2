"""Check-ins: the append-only progress history of a key result."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from domain.check_ins import Confidence
from schema.fields import column, node_id, to_one
from schema.node import Node
from schema.scalars import DateTime, Decimal
from schema.users.types import User

if TYPE_CHECKING:
    from schema.key_results.types import KeyResult

strawberry.enum(Confidence, description="How the reporter judges the key result's chances.")


@strawberry.type(description="A reported value of a key result at a point in time.")
class CheckIn(Node):
    id: strawberry.ID = node_id("CheckIn")
    key_result: Annotated[KeyResult, strawberry.lazy("schema.key_results.types")] = to_one(
        "key_result", "key_result_id", "The key result this value belongs to."
    )
    author: User | None = to_one(
        "user", "author_id", "Who reported the value; null for an organisation's API key."
    )
    value: Decimal | None = column("value", "The measured value (NUMERIC and THRESHOLD).")
    done: bool | None = column("done", "Whether the milestone is done (MILESTONE).")
    confidence: Confidence = column("confidence", "The reporter's confidence.")
    comment: str | None = column("comment", "Context for the value.")
    measured_at: DateTime = column("measured_at", "When the value was true (may be back-dated).")
    recorded_at: DateTime = column("recorded_at", "When the check-in was recorded.")
