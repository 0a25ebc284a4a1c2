"""Index the key result an alignment supports, for deleting key results.

Deleting a key result sets alignment.parent_key_result_id to NULL through the foreign key;
without an index on the referencing columns PostgreSQL scans the whole alignment table (every
organisation's) for each deleted key result. Partial: most alignments support no key result.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from db.migrations import execute_script

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
CREATE INDEX alignment_parent_key_result_idx ON alignment (organization_id, parent_key_result_id)
  WHERE parent_key_result_id IS NOT NULL;
"""
    )


def downgrade() -> None:
    execute_script(
        """
DROP INDEX alignment_parent_key_result_idx;
"""
    )
