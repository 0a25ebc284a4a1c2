"""Authorization and audit: events record the API key that acted; people's teams at sign-in.

- `event.actor_api_key_id`: the integration's key behind a change (NULL for people, whose id
  stays in `actor_user_id`). Keys are revoked, never deleted, so the history keeps them.
- okrql_member_team_ids(organization, user): the teams a person belongs to, read while their
  identity is resolved (before an organisation is bound, hence SECURITY DEFINER like 0006's
  lookups), so authorization knows their teams without a query per request later.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from db.migrations import execute_script

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
ALTER TABLE event ADD COLUMN actor_api_key_id bigint;
ALTER TABLE event ADD CONSTRAINT event_actor_api_key_fkey
  FOREIGN KEY (organization_id, actor_api_key_id) REFERENCES api_key (organization_id, id);

CREATE FUNCTION okrql_member_team_ids(organization_id bigint, user_id bigint)
  RETURNS bigint[]
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT coalesce(array_agg(tm.team_id ORDER BY tm.team_id), '{}')
    FROM team_member tm
    WHERE tm.organization_id = okrql_member_team_ids.organization_id
      AND tm.user_id = okrql_member_team_ids.user_id
  $$;
REVOKE ALL ON FUNCTION okrql_member_team_ids(bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_member_team_ids(bigint, bigint) TO okrql_app;
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP FUNCTION okrql_member_team_ids(bigint, bigint);
ALTER TABLE event DROP CONSTRAINT event_actor_api_key_fkey;
ALTER TABLE event DROP COLUMN actor_api_key_id;
"""
    )
