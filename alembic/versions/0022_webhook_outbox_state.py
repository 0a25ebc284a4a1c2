"""The webhook outbox's depth and lag, for the operators' metrics (api/metrics.py).

The outbox spans every organisation and the API's role sees one organisation's rows at a time
(row-level security), so, as for claiming (0010), a SECURITY DEFINER function answers the one
aggregate metrics need and nothing else: how many deliveries wait, and how long the oldest
due one has waited. It reads the partial index of due deliveries.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-08
"""

from db.migrations import execute_script

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
CREATE FUNCTION okrql_webhook_outbox_state(OUT depth bigint, OUT lag_seconds double precision)
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
  AS $$
    SELECT count(*),
           coalesce(extract(epoch FROM now() - min(next_attempt_at)
                    FILTER (WHERE next_attempt_at <= now())), 0)::double precision
    FROM webhook_delivery
    WHERE status = 'PENDING'
  $$;
REVOKE ALL ON FUNCTION okrql_webhook_outbox_state() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION okrql_webhook_outbox_state() TO okrql_app;
"""
    )


def downgrade() -> None:
    execute_script("DROP FUNCTION okrql_webhook_outbox_state();")
