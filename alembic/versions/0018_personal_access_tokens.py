"""Personal access tokens: API keys that act as one member.

- `api_key.user_id`: NULL for an organisation's key (an integration); a member's id for a
  personal access token, which acts as that person (its check-ins and changes are credited to
  them), within the token's scopes. A token never carries the `scim` scope.
- okrql_api_key_authenticate(hash) replaces 0006's: it also returns the token's person and
  their role, and a token of a member who is not ACTIVE (deactivated) authenticates nobody,
  from the next request on; reactivating the member brings their tokens back.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from db.migrations import execute_script

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_AUTHENTICATE_0006 = """
CREATE FUNCTION okrql_api_key_authenticate(secret_hash bytea)
  RETURNS TABLE (api_key_id bigint, organization_id bigint, slug text, time_zone text,
                 scopes text[], team_ids bigint[])
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
  AS $$
  BEGIN
    UPDATE api_key k SET last_used_at = now()
    WHERE k.secret_hash = okrql_api_key_authenticate.secret_hash
      AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
      AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    RETURN QUERY
      SELECT k.id, k.organization_id, o.slug, o.time_zone, k.scopes, k.team_ids
      FROM api_key k JOIN organization o ON o.id = k.organization_id
      WHERE k.secret_hash = okrql_api_key_authenticate.secret_hash
        AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now());
  END
  $$;
REVOKE ALL ON FUNCTION okrql_api_key_authenticate(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_api_key_authenticate(bytea) TO okrql_app;
"""


def upgrade() -> None:
    execute_script(
        """
ALTER TABLE api_key ADD COLUMN user_id bigint;
ALTER TABLE api_key ADD CONSTRAINT api_key_user_fkey
  FOREIGN KEY (organization_id, user_id) REFERENCES membership (organization_id, user_id)
  ON DELETE CASCADE;
ALTER TABLE api_key ADD CONSTRAINT api_key_personal_scopes_check
  CHECK (user_id IS NULL OR NOT scopes && ARRAY['scim']);
-- A member's tokens, newest first (their own list, and an admin's filtered by member).
CREATE INDEX api_key_user_idx ON api_key (organization_id, user_id, created_at DESC, id DESC)
  WHERE user_id IS NOT NULL;

DROP FUNCTION okrql_api_key_authenticate(bytea);
CREATE FUNCTION okrql_api_key_authenticate(secret_hash bytea)
  RETURNS TABLE (api_key_id bigint, organization_id bigint, slug text, time_zone text,
                 scopes text[], team_ids bigint[], user_id bigint, role text)
  LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public
  AS $$
  BEGIN
    -- Last use is kept to the minute: no write (nor row lock) on most requests.
    UPDATE api_key k SET last_used_at = now()
    WHERE k.secret_hash = okrql_api_key_authenticate.secret_hash
      AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
      AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
    RETURN QUERY
      SELECT k.id, k.organization_id, o.slug, o.time_zone, k.scopes, k.team_ids, k.user_id,
             m.role::text
      FROM api_key k JOIN organization o ON o.id = k.organization_id
      LEFT JOIN membership m ON m.organization_id = k.organization_id AND m.user_id = k.user_id
      WHERE k.secret_hash = okrql_api_key_authenticate.secret_hash
        AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
        -- a personal token works while its member is active
        AND (k.user_id IS NULL OR m.status = 'ACTIVE');
  END
  $$;
REVOKE ALL ON FUNCTION okrql_api_key_authenticate(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_api_key_authenticate(bytea) TO okrql_app;
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP FUNCTION okrql_api_key_authenticate(bytea);
-- Without their person, personal tokens would become the organisation's keys: revoke them.
UPDATE api_key SET revoked_at = coalesce(revoked_at, now()) WHERE user_id IS NOT NULL;
"""
        + _AUTHENTICATE_0006
        + """
DROP INDEX api_key_user_idx;
ALTER TABLE api_key DROP CONSTRAINT api_key_personal_scopes_check;
ALTER TABLE api_key DROP CONSTRAINT api_key_user_fkey;
ALTER TABLE api_key DROP COLUMN user_id;
"""
    )
