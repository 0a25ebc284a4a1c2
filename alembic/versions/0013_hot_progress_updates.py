"""Check-ins update key results and objectives in place (HOT updates).

Every check-in rewrites its key result's latest-check-in columns and the progress of its
objective and of the objectives above it. PostgreSQL can update a row on its own page without
touching any index (a heap-only tuple) only when no index covers a changed column and the page
has room. Two indexes covered those columns and no query used them:

- `objective_progress_idx (organization_id, progress, id)`: the progress order sorts by
  `coalesce(progress, -1)`, which this index cannot serve; lists are ordered within their
  filter (a cycle's objectives), where sorting a page's candidates is cheap.
- `key_result_due_idx (organization_id, next_check_in_due) WHERE NOT done`: the `overdue`
  filter compares an expression of the due time with now(), which it cannot serve either.

With them, each check-in inserted an entry in all 5 key-result indexes and all 8 objective
indexes, per objective moved. Both tables keep 10% of every page free so the new row version
fits beside the old one (tests/db/test_migrations.py checks no index covers a column the
check-in path writes).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-26
"""

from db.migrations import execute_script

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    execute_script(
        """
DROP INDEX objective_progress_idx;
DROP INDEX key_result_due_idx;
ALTER TABLE objective SET (fillfactor = 90);
ALTER TABLE key_result SET (fillfactor = 90);
"""
    )


def downgrade() -> None:
    execute_script(
        """
ALTER TABLE key_result RESET (fillfactor);
ALTER TABLE objective RESET (fillfactor);
CREATE INDEX key_result_due_idx ON key_result (organization_id, next_check_in_due)
  WHERE NOT done;
CREATE INDEX objective_progress_idx ON objective (organization_id, progress, id);
"""
    )
