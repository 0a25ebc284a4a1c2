"""Who a use case acts for: the caller's organisation, and their person or API key."""

from __future__ import annotations

from dataclasses import dataclass

from domain.permissions import Actor

ADMIN = "ADMIN"


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the request acts as, in which organisation.

    A person (signed in with a token, or the development fallback) has a `user_id` and a
    `role` (ADMIN, MEMBER, VIEWER) in the organisation; an integration's API key has an
    `api_key_id` and `scopes` (read, write, checkins:write), and perhaps `team_ids` it is
    limited to (empty: all teams). A person's own teams are `member_team_ids`. A personal
    access token has both: the person it acts as, and the token with its scopes.
    """

    organization_id: int
    user_id: int | None
    time_zone: str
    role: str | None
    organization_slug: str = ""
    api_key_id: int | None = None
    scopes: frozenset[str] = frozenset()
    team_ids: tuple[int, ...] = ()
    # The teams a person belongs to (authorization: their teams' objectives are theirs to
    # change); loaded with the identity, once per request.
    member_team_ids: tuple[int, ...] = ()
    # The server's operator at the command line: an admin who is nobody in the organisation
    # (their changes are logged without an actor).
    operator: bool = False

    @classmethod
    def operator_of(cls, organization_id: int, time_zone: str = "UTC") -> Identity:
        return cls(organization_id, None, time_zone, ADMIN, operator=True)

    @property
    def is_admin(self) -> bool:
        """Whether the caller administers: the rules' answer (a personal access token never
        does, even an admin's)."""
        return self.actor.is_admin

    @property
    def actor(self) -> Actor:
        """The caller as the authorization rules (domain/permissions.py) see it."""
        return Actor(
            user_id=self.user_id,
            role=self.role,
            member_team_ids=frozenset(self.member_team_ids),
            api_key_id=self.api_key_id,
            scopes=self.scopes,
            key_team_ids=frozenset(self.team_ids),
            operator=self.operator,
        )
