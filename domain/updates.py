"""Rules every partial update shares: what an explicit null may clear, and stale versions.

An update input names only the fields to change; an absent field keeps its value and an
explicit null clears it, which only optional fields allow. A client that sends the version it
loaded is told when someone else changed the row since, instead of silently overwriting them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from domain.errors import Problem, UserErrorCode
from domain.validation import Command

# What an update names besides its changes: the row, and the version the change is based on.
_NOT_CHANGES = frozenset({"id", "version"})


class Update(Command):
    """A partial update: every field but the row's `id` (and `version`) is optional, and the
    command knows which fields the input named (``model_fields_set``), explicit nulls included.

    Subclasses list in `never_cleared` the fields an update may change but not clear.
    """

    never_cleared: ClassVar[tuple[str, ...]] = ()

    def changes(self) -> dict[str, Any]:
        """The fields the input named and their new values (None clears), by attribute name;
        absent ones are left out."""
        return {name: getattr(self, name) for name in self.model_fields_set - _NOT_CHANGES}

    def cleared(self) -> list[Problem]:
        """A REQUIRED problem for each field of `never_cleared` the input sets to null."""
        fields = type(self).model_fields
        return [
            Problem(
                UserErrorCode.REQUIRED,
                ("input", fields[name].alias or name),
                "Cannot be cleared; leave it out to keep the current value.",
            )
            for name in self.never_cleared
            if name in self.model_fields_set and getattr(self, name) is None
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
