"""The latest check-in's confidence, kept on its key result like the value and measured time.

With it, a key result row carries everything its latest check-in shows on a dashboard
(value, done, confidence, measured time), so reads render `lastCheckIn` and pace from the
key result itself instead of a lookup per key result.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
ALTER TABLE key_result ADD COLUMN last_confidence confidence;
UPDATE key_result kr SET last_confidence = ci.confidence
FROM check_in ci
WHERE ci.organization_id = kr.organization_id AND ci.id = kr.last_check_in_id;
ALTER TABLE key_result ADD CONSTRAINT key_result_last_check_in_complete
  CHECK ((last_check_in_id IS NULL) = (last_confidence IS NULL));
"""
    )


def downgrade() -> None:
    execute_script(
        """
ALTER TABLE key_result DROP CONSTRAINT key_result_last_check_in_complete;
ALTER TABLE key_result DROP COLUMN last_confidence;
"""
    )
