"""Idempotency keys: a retried write replays its first response instead of writing twice.

`idempotency_key` holds, per organisation and caller ("user:<id>" or "key:<id>"), each key a
client sent with a write, a SHA-256 of the write's input (same key, different input is a user
error) and the response to replay: the ids the payload is rendered from
(services/idempotency.py says why not the rendered JSON). A write inserts its key row first,
in its own transaction, so a concurrent duplicate waits on the primary key until the first
commits, then replays. Rows are kept at least 24 hours; claiming a new key purges (a bounded
number of) its organisation's expired ones, and an expired key may be claimed afresh.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from db.migrations import execute_script

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
CREATE TABLE idempotency_key (
  organization_id  bigint NOT NULL REFERENCES organization (id) ON DELETE CASCADE,
  caller           text NOT NULL CHECK (length(caller) BETWEEN 1 AND 100),
  key              text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
  operation        text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
  fingerprint      bytea NOT NULL CHECK (length(fingerprint) = 32),
  -- NULL only inside the claiming transaction, before its write is done.
  response         jsonb,
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, caller, key)
);
-- The purge of expired keys reads the oldest of an organisation.
CREATE INDEX idempotency_key_created_at_idx ON idempotency_key (organization_id, created_at);

ALTER TABLE idempotency_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_key FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON idempotency_key
  USING (organization_id = okrql_organization_id())
  WITH CHECK (organization_id = okrql_organization_id());
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_key TO okrql_app;
"""
    )


def downgrade() -> None:
    execute_script("DROP TABLE idempotency_key;")
