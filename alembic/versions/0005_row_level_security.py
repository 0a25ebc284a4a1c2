"""Row-level security: every tenant table shows only the transaction's organisation.

The API runs as `okrql_app` (SET ROLE on each pooled connection): neither superuser, owner,
nor BYPASSRLS, so the policies bind it. Tables are also FORCE'd so an owner connection is bound
too. The organisation comes from the transaction-local setting `okrql.organization_id`
(db/tenancy.py); unset, nothing is visible.

Lookups that must cross organisations before one is chosen (which organisation a slug names)
are SECURITY DEFINER functions owned by the migrating role, which must be allowed to bypass
row-level security (a superuser, or a role with BYPASSRLS).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

TENANT_TABLES = (
    "membership",
    "team",
    "team_member",
    "cycle",
    "objective",
    "key_result",
    "check_in",
    "alignment",
    "event",
)


def upgrade() -> None:
    policies = "\n".join(
        f"""ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON {table}
  USING (organization_id = okrql_organization_id())
  WITH CHECK (organization_id = okrql_organization_id());"""
        for table in TENANT_TABLES
    )
    execute_script(
        """
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'okrql_app') THEN
    CREATE ROLE okrql_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
  END IF;
END $$;
-- The connecting role switches to okrql_app on every connection.
GRANT okrql_app TO CURRENT_USER;

CREATE FUNCTION okrql_organization_id() RETURNS bigint
  LANGUAGE sql STABLE PARALLEL SAFE
  -- '' is what an unset transaction-local setting reads back as on a pooled connection.
  AS $$ SELECT nullif(current_setting('okrql.organization_id', true), '')::bigint $$;

GRANT USAGE ON SCHEMA public TO okrql_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO okrql_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO okrql_app;
-- The event log is append-only, for the API too.
REVOKE UPDATE, DELETE ON event FROM okrql_app;
REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM okrql_app;
-- Tables and sequences of later revisions are the API's to use too (their policies are a
-- test's to demand: tests/db/test_tenancy.py).
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO okrql_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO okrql_app;

ALTER TABLE organization ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON organization
  USING (id = okrql_organization_id()) WITH CHECK (id = okrql_organization_id());

-- People are global: visible through a membership of the current organisation.
ALTER TABLE app_user ENABLE ROW LEVEL SECURITY;
ALTER TABLE app_user FORCE ROW LEVEL SECURITY;
CREATE POLICY member_read ON app_user FOR SELECT
  USING (EXISTS (SELECT 1 FROM membership m
                 WHERE m.user_id = app_user.id AND m.organization_id = okrql_organization_id()));
CREATE POLICY member_update ON app_user FOR UPDATE
  USING (EXISTS (SELECT 1 FROM membership m
                 WHERE m.user_id = app_user.id AND m.organization_id = okrql_organization_id()));
"""
        + policies
        + """
CREATE FUNCTION okrql_organization_admin(slug text)
  RETURNS TABLE (organization_id bigint, time_zone text, user_id bigint, role text)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT o.id, o.time_zone, m.user_id, m.role::text
    FROM organization o
    LEFT JOIN membership m ON m.organization_id = o.id AND m.role = 'ADMIN'
    WHERE o.slug = okrql_organization_admin.slug
    ORDER BY m.user_id
    LIMIT 1
  $$;
REVOKE ALL ON FUNCTION okrql_organization_admin(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_organization_admin(text) TO okrql_app;
"""
    )


def downgrade() -> None:
    drops = "\n".join(
        f"DROP POLICY tenant ON {table}; ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;"
        f" ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;"
        for table in ("organization", *TENANT_TABLES)
    )
    execute_script(
        """
DROP FUNCTION okrql_organization_admin(text);
DROP POLICY member_read ON app_user;
DROP POLICY member_update ON app_user;
ALTER TABLE app_user NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app_user DISABLE ROW LEVEL SECURITY;
"""
        + drops
        + """
ALTER DEFAULT PRIVILEGES IN SCHEMA public
  REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM okrql_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE USAGE, SELECT ON SEQUENCES FROM okrql_app;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM okrql_app;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM okrql_app;
REVOKE USAGE ON SCHEMA public FROM okrql_app;
DROP FUNCTION okrql_organization_id();
-- The role is cluster-wide and may serve other databases: it stays.
"""
    )
