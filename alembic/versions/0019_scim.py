"""SCIM provisioning: what an identity provider knows of people and groups that okrql keeps.

- `membership.user_name`: the identity provider's login name (SCIM `userName`), when it is not
  the member's email. The effective name, `coalesce(user_name, email)`, is unique per
  organisation case-insensitively (RFC 7643 makes userName caseExact false), so a login name
  never names two people.
- `membership.scim`: the profile the identity provider last provisioned (displayName, name,
  emails, roles), kept as it was sent so a read gives it back; okrql's own name, email and
  role are derived from it in the same write. NULL for members nobody provisioned.
- `membership.deprovisioned_at`: when the identity provider deleted the user. Such a member is
  deactivated (the constraint says so) and gone from SCIM (404), but stays in okrql with
  everything they wrote; provisioning the same userName again brings them back.
- `team.external_id`: the identity provider's id of a group (SCIM `externalId`), unique per
  organisation.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from db.migrations import execute_script

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
ALTER TABLE membership
  ADD COLUMN user_name text CHECK (length(btrim(user_name)) BETWEEN 1 AND 320),
  ADD COLUMN scim jsonb CHECK (jsonb_typeof(scim) = 'object'),
  ADD COLUMN deprovisioned_at timestamptz,
  ADD CONSTRAINT membership_deprovisioned_check
    CHECK (deprovisioned_at IS NULL OR status = 'DEACTIVATED');
CREATE UNIQUE INDEX membership_user_name_key
  ON membership (organization_id, lower(coalesce(user_name, email)));

ALTER TABLE team
  ADD COLUMN external_id text CHECK (length(external_id) BETWEEN 1 AND 255);
CREATE UNIQUE INDEX team_external_id_key ON team (organization_id, external_id);
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP INDEX team_external_id_key;
ALTER TABLE team DROP COLUMN external_id;
DROP INDEX membership_user_name_key;
ALTER TABLE membership
  DROP CONSTRAINT membership_deprovisioned_check,
  DROP COLUMN deprovisioned_at,
  DROP COLUMN scim,
  DROP COLUMN user_name;
"""
    )
