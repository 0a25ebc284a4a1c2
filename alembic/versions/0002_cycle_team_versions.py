"""Cycles and teams get a version and an update time, for optimistic concurrency on updates.

updateCycle and updateTeam take the version a form was loaded with and refuse a stale one
(STALE_VERSION), like objectives and key results; every change increments it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from db.migrations import execute_script

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
ALTER TABLE cycle
  ADD COLUMN version     integer NOT NULL DEFAULT 1,
  ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
ALTER TABLE team
  ADD COLUMN version     integer NOT NULL DEFAULT 1,
  ADD COLUMN updated_at  timestamptz NOT NULL DEFAULT now();
-- Rows that existed before were last changed when they were created.
UPDATE cycle SET updated_at = created_at;
UPDATE team SET updated_at = created_at;
"""
    )


def downgrade() -> None:
    execute_script(
        """
ALTER TABLE team DROP COLUMN updated_at, DROP COLUMN version;
ALTER TABLE cycle DROP COLUMN updated_at, DROP COLUMN version;
"""
    )
