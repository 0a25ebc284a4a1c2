"""Who may do what: the authorization rules, as pure functions of facts the caller loads.

An `Actor` is the request's caller: a person with a role in the organisation (ADMIN, MEMBER,
VIEWER) and the teams they belong to, or an integration's API key with scopes (read, write,
checkins:write) and perhaps the teams it is limited to. A target is described by who owns it
(`ObjectiveOwnership`, `KeyResultOwnership`), as the service read it under its row locks.

- Admins may do everything: manage members, teams, cycles and API keys, read the audit history,
  and every write a member may do, on anything.
- Members create objectives they own (level PERSON, themselves) or that belong to one of their
  teams, and change those (edit, lifecycle, delete, key results, alignments of the child).
  The owner of a key result may also edit that key result.
- Check-ins are allowed to the key result's owner, the objective's owner, members of the
  objective's team, admins, and keys with `write` or `checkins:write`.
- Viewers and `read` keys only read.
- A personal access token acts as its person, narrowed by its scopes: `write` allows what the
  person may write, `checkins:write` their check-ins, `read` nothing but reads. A token never
  administers (that takes the person themself, signed in).
- A key with `write` may do every member write (on every objective, or only on those of its
  teams when it is limited to teams); `checkins:write` only check-ins (same team limit). Keys
  never administer: that needs a person who is an admin.

Every function answers True or False; `require` turns a refusal into `ForbiddenError`, which
the transport reports as a FORBIDDEN error on the field (nothing is written).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"
    VIEWER = "VIEWER"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    CHECKINS_WRITE = "checkins:write"
    # Provisioning people from an identity provider (SCIM), and nothing else.
    SCIM = "scim"


class ForbiddenError(Exception):
    """The caller is known, but may not do this; nothing was written."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller: a person (`user_id`, `role`, `member_team_ids`) or an API key
    (`api_key_id`, `scopes`, `key_team_ids`: the teams it is limited to, empty for all)."""

    user_id: int | None = None
    role: str | None = None
    member_team_ids: frozenset[int] = frozenset()
    api_key_id: int | None = None
    scopes: frozenset[str] = frozenset()
    key_team_ids: frozenset[int] = frozenset()
    # The server's operator at its command line (`okrql member ...`): an admin of every
    # organisation, who is nobody in it.
    operator: bool = False

    @property
    def is_key(self) -> bool:
        """An organisation's key: an integration, acting as nobody."""
        return self.api_key_id is not None and self.user_id is None

    @property
    def is_token(self) -> bool:
        """A personal access token: acts as its person (`user_id`, `role`) within `scopes`."""
        return self.api_key_id is not None and self.user_id is not None

    @property
    def is_admin(self) -> bool:
        if self.operator:
            return True
        return self.api_key_id is None and self.user_id is not None and self.role == Role.ADMIN

    @property
    def is_member(self) -> bool:
        return self.api_key_id is None and self.user_id is not None and self.role == Role.MEMBER

    @property
    def person(self) -> Actor:
        """A token's person, as the rules see them once the token's scopes allow the action."""
        return replace(self, api_key_id=None, scopes=frozenset())


@dataclass(frozen=True, slots=True)
class ObjectiveOwnership:
    """Who an objective belongs to: a person (`owner_user_id`), a team (`owner_team_id`), or
    neither (the company)."""

    owner_user_id: int | None = None
    owner_team_id: int | None = None


@dataclass(frozen=True, slots=True)
class KeyResultOwnership:
    """A key result's reporting owner and its objective's ownership."""

    owner_user_id: int | None
    objective: ObjectiveOwnership


def require(allowed: bool, message: str) -> None:
    """Raise ForbiddenError with `message` unless `allowed`."""
    if not allowed:
        raise ForbiddenError(message)


# --- Administration -----------------------------------------------------------------------


def may_administer(actor: Actor) -> bool:
    """Manage members, teams, cycles (closing one included) and API keys."""
    return actor.is_admin


def may_manage_members(actor: Actor) -> bool:
    """Invite, change, deactivate and reactivate members: admins, and the identity provider
    that provisions them (an API key with the `scim` scope)."""
    return actor.is_admin or (actor.is_key and Scope.SCIM in actor.scopes)


def may_manage_tokens(actor: Actor) -> bool:
    """Create and revoke one's own personal access tokens: a person signed in themself (a token
    does not mint tokens)."""
    return actor.user_id is not None and actor.api_key_id is None


def holds_tokens(actor: Actor) -> bool:
    """Revoke a personal access token: a person (or one of their tokens: a script whose token
    leaked may end it); whose token it may be is the use case's to check."""
    return actor.user_id is not None


def may_manage_teams(actor: Actor) -> bool:
    """Create, change and delete teams and their members: admins, and the identity provider
    that provisions them as SCIM groups."""
    return actor.is_admin or (actor.is_key and Scope.SCIM in actor.scopes)


def may_use_graphql(actor: Actor) -> bool:
    """Whether the caller may use the GraphQL API at all: a key that carries only the `scim`
    scope is the identity provider's, for /scim/v2 only (a leaked provisioning key reads no
    objectives)."""
    return not actor.is_key or bool(actor.scopes - {Scope.SCIM})


def may_provision(actor: Actor) -> bool:
    """Whether the caller may use SCIM (/scim/v2): an API key with the `scim` scope, never a
    person (an identity provider authenticates as the organisation, not as someone in it)."""
    return actor.is_key and Scope.SCIM in actor.scopes


def may_read_audit(actor: Actor) -> bool:
    """Read the change history of any node."""
    return actor.is_admin


# --- Objectives and key results -----------------------------------------------------------

_CHECK_IN_SCOPES = frozenset({"write", "checkins:write"})


def _key_covers(actor: Actor, objective: ObjectiveOwnership) -> bool:
    # A key limited to teams reaches only the objectives those teams own.
    if not actor.key_team_ids:
        return True
    return objective.owner_team_id is not None and objective.owner_team_id in actor.key_team_ids


def _member_owns(actor: Actor, objective: ObjectiveOwnership) -> bool:
    if objective.owner_user_id is not None and objective.owner_user_id == actor.user_id:
        return True
    return objective.owner_team_id is not None and objective.owner_team_id in actor.member_team_ids


def may_write_objective(actor: Actor, objective: ObjectiveOwnership) -> bool:
    """Create an objective so owned, or change one so owned: edit it, move it through its
    lifecycle, delete it, add, edit or delete its key results, align it under a parent."""
    if actor.is_token:
        return Scope.WRITE in actor.scopes and may_write_objective(actor.person, objective)
    if actor.is_admin:
        return True
    if actor.is_key:
        return Scope.WRITE in actor.scopes and _key_covers(actor, objective)
    return actor.is_member and _member_owns(actor, objective)


def may_change_owner(actor: Actor, before: ObjectiveOwnership, after: ObjectiveOwnership) -> bool:
    """Change an objective from one ownership to another: the caller must be allowed on both
    (a member cannot take over someone else's objective, nor hand theirs to a team they could
    not create it for)."""
    return may_write_objective(actor, before) and may_write_objective(actor, after)


def may_update_key_result(actor: Actor, key_result: KeyResultOwnership) -> bool:
    """Edit a key result: whoever may write its objective, and its own reporting owner."""
    if actor.is_token:
        return Scope.WRITE in actor.scopes and may_update_key_result(actor.person, key_result)
    if may_write_objective(actor, key_result.objective):
        return True
    return (
        actor.is_member
        and key_result.owner_user_id is not None
        and key_result.owner_user_id == actor.user_id
    )


def may_check_in(actor: Actor, key_result: KeyResultOwnership) -> bool:
    """Record a value of a key result: its owner, the objective's owner, the objective's
    team's members, admins, and keys with `write` or `checkins:write` (within their teams)."""
    if actor.is_token:
        return bool(actor.scopes & _CHECK_IN_SCOPES) and may_check_in(actor.person, key_result)
    if actor.is_admin:
        return True
    if actor.is_key:
        return bool(actor.scopes & {Scope.WRITE, Scope.CHECKINS_WRITE}) and _key_covers(
            actor, key_result.objective
        )
    if not actor.is_member:
        return False
    return (
        key_result.owner_user_id is not None and key_result.owner_user_id == actor.user_id
    ) or _member_owns(actor, key_result.objective)


def may_align(actor: Actor, child: ObjectiveOwnership) -> bool:
    """Align a child objective under a parent, or remove that alignment: a change of the
    child (what it supports), so whoever may write the child."""
    return may_write_objective(actor, child)


def writes_objectives(actor: Actor) -> bool:
    """Whether the caller may write some objective at all (checked first, before the input or
    the target: viewers, `read` and `checkins:write` keys are refused outright)."""
    if actor.is_token:
        return Scope.WRITE in actor.scopes and writes_objectives(actor.person)
    if actor.is_key:
        return Scope.WRITE in actor.scopes
    return actor.is_admin or actor.is_member


def writes_check_ins(actor: Actor) -> bool:
    """Whether the caller may check in on some key result at all (checked first)."""
    if actor.is_token:
        return bool(actor.scopes & _CHECK_IN_SCOPES) and writes_check_ins(actor.person)
    if actor.is_key:
        return bool(actor.scopes & {Scope.WRITE, Scope.CHECKINS_WRITE})
    return actor.is_admin or actor.is_member
