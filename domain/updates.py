"""Rules every partial update shares: what an explicit null may clear, and stale versions.

An update input names only the fields to change; an absent field keeps its value and an
explicit null clears it, which only optional fields allow. A client that sends the version it
loaded is told when someone else changed the row since, instead of silently overwriting them.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.errors import Problem, UserErrorCode
from domain.validation import Command


def cleared_required(command: Command, required: Iterable[str]) -> list[Problem]:
    """A REQUIRED problem for each of the ``required`` fields the command sets to null."""
    fields = type(command).model_fields
    return [
        Problem(
            UserErrorCode.REQUIRED,
            ("input", fields[name].alias or name),
            "Cannot be cleared; leave it out to keep the current value.",
        )
        for name in required
        if name in command.model_fields_set and getattr(command, name) is None
    ]


def stale_version(given: int | None, current: int) -> list[Problem]:
    """A STALE_VERSION problem when a version was given and the row has moved on since."""
    if given is None or given == current:
        return []
    return [
        Problem(
            UserErrorCode.STALE_VERSION,
            ("input", "version"),
            f"Changed by someone else since version {given} (now {current}); reload and retry.",
        )
    ]
